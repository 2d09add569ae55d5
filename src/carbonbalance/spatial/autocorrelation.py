"""Global and local Moran's I (SPEC §7): :func:`global_moran` wraps ``esda.Moran``;
:func:`local_moran` returns Anselin's (1995) I_i with analytic (total randomisation) or
conditional-permutation inference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from carbonbalance.errors import InputError

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


@dataclass
class MoranResult:
    I: float
    expected: float
    sd_norm: float
    z_norm: float
    p_norm: float
    sd_rand: float
    z_rand: float
    p_rand: float
    p_sim: float | None
    permutations: int


def global_moran(y, w, permutations: int = 999, seed: int | None = None) -> MoranResult:
    """Global Moran's I with normality and randomisation moments (two-tailed p) and a
    permutation p, from ``esda.Moran``."""
    from esda.moran import Moran

    y = np.asarray(y, dtype="float64")
    if not np.isfinite(y).all():
        raise InputError("global_moran: missing values in y")
    if seed is not None:
        np.random.seed(seed)
    m = Moran(y, w, permutations=permutations, two_tailed=True)
    return MoranResult(
        I=float(m.I),
        expected=float(m.EI),
        sd_norm=float(m.seI_norm),
        z_norm=float(m.z_norm),
        p_norm=float(m.p_norm),
        sd_rand=float(m.seI_rand),
        z_rand=float(m.z_rand),
        p_rand=float(m.p_rand),
        p_sim=float(m.p_sim) if permutations else None,
        permutations=int(permutations),
    )


def local_moran(
    y,
    w,
    inference: str = "analytic",
    alpha: float = 0.05,
    two_tailed: bool = True,
    permutations: int = 999,
    seed: int | None = None,
) -> pd.DataFrame:
    """LISA per unit: ``Ii``, ``z``, ``p``, ``quadrant`` (HH/LH/LL/HL), ``cluster``.

    ``Ii = (z_i / m2) Σ_j w_ij z_j`` with ``m2 = Σ z² / n`` (Anselin 1995; esda's ``Is``
    uses n − 1, so ``Ii = Is · n / (n − 1)``).  ``analytic``: z from Anselin's moments
    under total randomisation, p normal (two- or one-tailed); ``permutation``: esda's
    conditional-permutation pseudo p (one-sided folded, as esda reports it) and z_sim.
    ``cluster`` is the quadrant where p < alpha, else ``ns``.
    """
    from esda.moran import Moran_Local

    from carbonbalance.spatial.jitcache import cache_esda_kernels

    cache_esda_kernels()
    index = y.index if isinstance(y, pd.Series) else None
    y = np.asarray(y, dtype="float64")
    if not np.isfinite(y).all():
        raise InputError("local_moran: missing values in y")
    wf = w.sparse.toarray() if w.n <= 5000 else None
    n = y.size
    z = y - y.mean()
    m2 = (z**2).sum() / n
    m4 = (z**4).sum() / n
    lag = np.asarray(w.sparse @ z).ravel()
    Ii = z / m2 * lag
    if inference == "analytic":
        if wf is None:
            import scipy.sparse as sp

            W = sp.csr_matrix(w.sparse)
            wi = np.asarray(W.sum(axis=1)).ravel()
            wi2 = np.asarray(W.multiply(W).sum(axis=1)).ravel()
        else:
            wi, wi2 = wf.sum(axis=1), (wf**2).sum(axis=1)
        b2 = m4 / m2**2
        e = -wi / (n - 1)
        wkh = wi**2 - wi2
        var = wi2 * (n - b2) / (n - 1) + wkh * (2 * b2 - n) / ((n - 1) * (n - 2)) - e**2
        zscore = (Ii - e) / np.sqrt(var)
        p = stats.norm.sf(np.abs(zscore)) * (2 if two_tailed else 1)
    elif inference == "permutation":
        if seed is not None:
            np.random.seed(seed)
        lm = Moran_Local(y, w, permutations=permutations, seed=seed)
        zscore, p = lm.z_sim, lm.p_sim
    else:
        raise InputError(f"local_moran: inference must be 'analytic' or 'permutation', not {inference!r}")
    quadrant = np.where(z > 0, np.where(lag > 0, "HH", "HL"), np.where(lag > 0, "LH", "LL"))
    cluster = np.where(p < alpha, quadrant, "ns")
    return pd.DataFrame({"Ii": Ii, "z": zscore, "p": p, "quadrant": quadrant, "cluster": cluster}, index=index)
