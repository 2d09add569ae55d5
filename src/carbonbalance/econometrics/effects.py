"""Direct, indirect and total effects (LeSage & Pace 2009) with simulated standard errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from carbonbalance.econometrics.spectrum import Spatial
from carbonbalance.errors import InputError

if TYPE_CHECKING:  # the result type only: models import this module
    from carbonbalance.econometrics.models import PanelResult


def _effect_weights(W, sp: Spatial):
    """Functions of ρ (vectorised) giving mean diag of (I−ρW)⁻¹ and of (I−ρW)⁻¹W and their mean row sums."""
    eig = sp.eig
    if sp.row_standardised:

        def totals(r):
            return 1.0 / (1.0 - r), 1.0 / (1.0 - r)
    else:
        vals, vecs = np.linalg.eig(sp.dense)
        inv = np.linalg.inv(vecs)
        if np.abs(vecs @ np.diag(vals) @ inv - sp.dense).max() > 1e-8 * max(1.0, np.abs(sp.dense).max()):
            raise InputError("econometrics: W is not diagonalisable; use a row-standardised W for effects")
        pq = vecs.mean(axis=0) * (inv @ np.ones(W.shape[0]))

        def totals(r):
            den = 1.0 - np.multiply.outer(r, vals)
            return (pq / den).sum(axis=-1).real, (pq * vals / den).sum(axis=-1).real

    def diagonals(r):
        den = 1.0 - np.multiply.outer(r, eig)
        return (1.0 / den).mean(axis=-1).real, (eig / den).mean(axis=-1).real

    return diagonals, totals


def impacts(
    result: PanelResult, W, xnames: list[str], draws: int = 1000, seed: int = 0, spatial: Spatial | None = None
) -> pd.DataFrame:
    """Direct, indirect and total effects per covariate (LeSage & Pace 2009).

    The estimates are the effects at the estimated parameters; standard errors are the
    standard deviations over ``draws`` parameter vectors from N(γ̂, V̂) (draws with ρ
    outside the stable interval are redrawn).
    """
    sp = spatial or Spatial.of(W)
    est = result.params
    k = len(xnames)
    beta = est[xnames].to_numpy()
    theta = est[[f"W*{n}" for n in xnames]].to_numpy() if result.model == "sdm" else np.zeros(k)
    rho = float(est["rho"])
    diagonals, totals = _effect_weights(W, sp)

    def effects_at(b, t, r):
        a1, a2 = diagonals(r)
        c1, c2 = totals(r)
        direct = a1[..., None] * b + a2[..., None] * t
        total = np.asarray(c1)[..., None] * b + np.asarray(c2)[..., None] * t
        return direct, total - direct, total

    point = effects_at(beta, theta, np.asarray(rho))
    terms = list(xnames) + ([f"W*{n}" for n in xnames] if result.model == "sdm" else []) + ["rho"]
    V = result.vcov.loc[terms, terms].to_numpy()
    mean = est[terms].to_numpy()
    rng = np.random.default_rng(seed)
    sims = np.empty((0, len(terms)))
    for _ in range(50):
        s = rng.multivariate_normal(mean, V, size=draws, method="eigh")
        ok = (s[:, -1] > sp.bounds[0]) & (s[:, -1] < sp.bounds[1])
        sims = np.vstack([sims, s[ok]])
        if len(sims) >= draws:
            break
    sims = sims[:draws]
    sb = sims[:, :k]
    st = sims[:, k : 2 * k] if result.model == "sdm" else np.zeros_like(sb)
    simulated = effects_at(sb, st, sims[:, -1])
    rows = []
    for j, name in enumerate(xnames):
        row = {"covariate": name}
        for label, pt, sim in zip(("direct", "indirect", "total"), point, simulated):
            est_j = float(np.asarray(pt)[..., j])
            se = float(np.std(sim[:, j], ddof=1))
            z = est_j / se if se > 0 else np.nan
            row.update(
                {label: est_j, f"{label}_se": se, f"{label}_z": z, f"{label}_p": float(2 * stats.norm.sf(abs(z)))}
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["draws"] = len(sims)
    return out


# ----------------------------------------------------------------------------- MGWR
