"""Spatial statistics of units and grids (SPEC §7), on PySAL where it does the job.

- :func:`weights`: queen / rook contiguity, k nearest neighbours or inverse distance
  (power 1, 2, …) between centroids, row-standardised; islands linked to their nearest
  unit by boundary distance (or kept isolated).
- :func:`global_moran` wraps ``esda.Moran``; :func:`local_moran` returns Anselin's (1995)
  I_i with analytic (total randomisation) or conditional-permutation inference.
- :func:`getis_ord` wraps ``esda.G_Local(star=True)`` for units; :func:`getis_ord_grid`
  computes Gi* with a circular distance band on a raster by FFT windowed sums, which
  scales to the 1 km grid of China where a weights object cannot even be built.
- :func:`weighted_centre`, :func:`standard_deviational_ellipse` and :func:`centre_shift`
  (Zhu2026).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from carbonbalance.errors import InputError

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def weights(gdf, kind: str = "queen", islands: str = "nearest", k: int | None = None,
            power: float | None = None, points=None, transform: str = "r"):
    """A ``libpysal.weights.W`` over the rows of ``gdf`` (ids = positions 0..n-1).

    kind : ``queen``, ``rook``, ``knn`` (``k`` neighbours of the centroids) or
           ``inverse_distance`` (w = d^-power between centroids, or ``points`` such as
           capitals, all pairs)
    islands : ``nearest`` links a unit without contiguous neighbours to the unit nearest
              by boundary distance (both ways); ``keep`` leaves it isolated
    """
    from libpysal import weights as lw

    if kind in ("queen", "rook"):
        cls = lw.Queen if kind == "queen" else lw.Rook
        w = cls.from_dataframe(gdf, use_index=False, silence_warnings=True)
    elif kind in ("knn", "inverse_distance"):
        xy = np.asarray(points) if points is not None else np.column_stack(
            [gdf.geometry.centroid.x, gdf.geometry.centroid.y])
        if kind == "knn":
            if not k:
                raise InputError("weights: kind 'knn' needs k")
            w = lw.KNN.from_array(xy, k=int(k))
        else:
            if not power:
                raise InputError("weights: kind 'inverse_distance' needs power (1 = inverse, 2 = inverse squared)")
            span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) * 1.01 + 1.0  # all pairs
            w = lw.DistanceBand(xy, threshold=span, binary=False, alpha=-float(power), silence_warnings=True)
    else:
        raise InputError(f"weights: unknown kind {kind!r} (queen, rook, knn, inverse_distance)")
    if w.islands and islands == "nearest":
        neighbors = {i: list(w.neighbors[i]) for i in w.neighbors}
        wts = {i: list(w.weights[i]) for i in w.weights}
        geoms = gdf.geometry.reset_index(drop=True)
        for i in w.islands:
            dist = geoms.distance(geoms.iloc[i])
            dist.iloc[i] = np.inf
            j = int(dist.idxmin())
            for a, b in ((i, j), (j, i)):
                if b not in neighbors[a]:
                    neighbors[a].append(b)
                    wts[a].append(1.0)
        w = lw.W(neighbors, wts, silence_warnings=True)
    elif islands not in ("nearest", "keep"):
        raise InputError(f"weights: islands must be 'nearest' or 'keep', not {islands!r}")
    if transform:
        w.transform = transform
    return w


@dataclass
class MoranResult:
    I: float  # noqa: E741
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
    return MoranResult(I=float(m.I), expected=float(m.EI), sd_norm=float(m.seI_norm), z_norm=float(m.z_norm),
                       p_norm=float(m.p_norm), sd_rand=float(m.seI_rand), z_rand=float(m.z_rand),
                       p_rand=float(m.p_rand), p_sim=float(m.p_sim) if permutations else None,
                       permutations=int(permutations))


def local_moran(y, w, inference: str = "analytic", alpha: float = 0.05, two_tailed: bool = True,
                permutations: int = 999, seed: int | None = None) -> pd.DataFrame:
    """LISA per unit: ``Ii``, ``z``, ``p``, ``quadrant`` (HH/LH/LL/HL), ``cluster``.

    ``Ii = (z_i / m2) Σ_j w_ij z_j`` with ``m2 = Σ z² / n`` (Anselin 1995; esda's ``Is``
    uses n − 1, so ``Ii = Is · n / (n − 1)``).  ``analytic``: z from Anselin's moments
    under total randomisation, p normal (two- or one-tailed); ``permutation``: esda's
    conditional-permutation pseudo p (one-sided folded, as esda reports it) and z_sim.
    ``cluster`` is the quadrant where p < alpha, else ``ns``.
    """
    from esda.moran import Moran_Local

    index = y.index if isinstance(y, pd.Series) else None
    y = np.asarray(y, dtype="float64")
    if not np.isfinite(y).all():
        raise InputError("local_moran: missing values in y")
    wf = w.sparse.toarray() if w.n <= 5000 else None
    n = y.size
    z = y - y.mean()
    m2 = (z ** 2).sum() / n
    m4 = (z ** 4).sum() / n
    lag = np.asarray(w.sparse @ z).ravel()
    Ii = z / m2 * lag
    if inference == "analytic":
        if wf is None:
            import scipy.sparse as sp

            W = sp.csr_matrix(w.sparse)
            wi = np.asarray(W.sum(axis=1)).ravel()
            wi2 = np.asarray(W.multiply(W).sum(axis=1)).ravel()
        else:
            wi, wi2 = wf.sum(axis=1), (wf ** 2).sum(axis=1)
        b2 = m4 / m2 ** 2
        e = -wi / (n - 1)
        wkh = wi ** 2 - wi2
        var = wi2 * (n - b2) / (n - 1) + wkh * (2 * b2 - n) / ((n - 1) * (n - 2)) - e ** 2
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


def confidence_class(z) -> np.ndarray:
    """Hot/cold spot class of Gi* z scores: ±99 %, ±95 %, ±90 % (two-tailed) or ``ns``."""
    z = np.asarray(z, dtype="float64")
    out = np.full(z.shape, "ns", dtype=object)
    for level, crit in ((90, 1.6449), (95, 1.9600), (99, 2.5758)):
        out = np.where(z >= crit, f"hot {level}%", np.where(z <= -crit, f"cold {level}%", out))
    return np.where(np.isfinite(z), out, "nodata")


def getis_ord(y, w) -> pd.DataFrame:
    """Gi* per unit (``esda.G_Local(star=True)`` on binary weights): ``z``, ``p``, ``class``."""
    from esda.getisord import G_Local

    y = np.asarray(y, dtype="float64")
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    z = np.asarray(g.Zs)
    return pd.DataFrame({"z": z, "p": stats.norm.sf(np.abs(z)) * 2, "class": confidence_class(z)})


def disc_kernel(cell_size: float, distance: float) -> np.ndarray:
    """Binary window of the cells whose centres lie within ``distance`` of the centre cell."""
    r = int(np.floor(distance / cell_size + 1e-9))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1] * float(cell_size)
    return (np.hypot(xx, yy) <= distance * (1 + 1e-12)).astype("float64")


def getis_ord_grid(array, cell_size: float, distance: float) -> np.ndarray:
    """Gi* z score of every valid (finite) cell with a circular distance band (self included).

    ``Gi* = (Σ_j w_ij x_j − x̄ W_i) / (S √((n W_i2 − W_i²)/(n − 1)))`` over the n valid
    cells, W_i = number of valid cells in the window (binary weights, so W_i2 = W_i),
    x̄ and S the mean and standard deviation (population) of all valid cells.  The window
    sums are FFT convolutions (scipy.signal.oaconvolve); NaN cells are excluded from
    every sum and get NaN.
    """
    from scipy.signal import oaconvolve

    x = np.asarray(array, dtype="float64")
    valid = np.isfinite(x)
    n = int(valid.sum())
    if n < 3:
        raise InputError("getis_ord_grid: fewer than 3 valid cells")
    xv = np.where(valid, x, 0.0)
    mean = xv.sum() / n
    s = np.sqrt((xv ** 2).sum() / n - mean ** 2)
    kern = disc_kernel(cell_size, distance)
    sums = oaconvolve(xv, kern, mode="same")
    counts = np.rint(oaconvolve(valid.astype("float64"), kern, mode="same"))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (sums - mean * counts) / (s * np.sqrt((n * counts - counts ** 2) / (n - 1)))
    return np.where(valid, z, np.nan)


def weighted_centre(x, y, weights=None) -> tuple[float, float]:
    """Weighted mean centre (x̄_w, ȳ_w) of points (e.g. cell centres weighted by emissions)."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    if not ok.any():
        raise InputError("weighted_centre: no point with a positive weight")
    return float(np.average(x[ok], weights=w[ok])), float(np.average(y[ok], weights=w[ok]))


@dataclass
class Ellipse:
    cx: float
    cy: float
    angle: float   # θ of SPEC §7, radians: azimuth of the major axis clockwise from grid north
    sigma_x: float
    sigma_y: float


def standard_deviational_ellipse(x, y, weights=None) -> Ellipse:
    """Standard deviational ellipse of SPEC §7 (no CrimeStat or degrees-of-freedom correction).

    ``tan θ = [(Σw x'² − Σw y'²) + √((Σw x'² − Σw y'²)² + 4(Σw x'y')²)] / (2 Σw x'y')``,
    ``σx = √(Σw (x' cos θ − y' sin θ)² / Σw)``, ``σy = √(Σw (x' sin θ + y' cos θ)² / Σw)``.

    θ is the azimuth of the major axis, clockwise from grid north, so that σy is the spread
    along the major axis and σx across it (σy ≥ σx).  When Σw x'y' = 0 the formula's limit
    is taken: θ = 90° if the x spread is the larger (the major axis runs east-west), else 0.
    The axes equal ``pointpats.centrography.ellipse(points, weights, method="yuill",
    crimestatCorr=False, degfreedCorr=False)``'s (major, minor) = (σy, σx); its angle is the
    major axis' direction counter-clockwise from the x axis, π/2 − θ (mod π).
    """
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    x, y, w = x[ok], y[ok], w[ok]
    cx, cy = weighted_centre(x, y, w)
    xp, yp = x - cx, y - cy
    a = np.sum(w * xp ** 2) - np.sum(w * yp ** 2)
    b = np.sum(w * xp * yp)
    if b != 0:
        theta = np.arctan((a + np.sqrt(a * a + 4 * b * b)) / (2 * b))
    else:  # the limit of the formula as Σw x'y' -> 0
        theta = np.pi / 2 if a > 0 else 0.0
    sw = w.sum()
    sx = np.sqrt(np.sum(w * (xp * np.cos(theta) - yp * np.sin(theta)) ** 2) / sw)
    sy = np.sqrt(np.sum(w * (xp * np.sin(theta) + yp * np.cos(theta)) ** 2) / sw)
    return Ellipse(cx=cx, cy=cy, angle=float(theta), sigma_x=float(sx), sigma_y=float(sy))


def centre_shift(cx0, cy0, cx1, cy1) -> tuple[float, float]:
    """Distance and bearing (degrees clockwise from grid north) of a centre's move."""
    dx, dy = cx1 - cx0, cy1 - cy0
    return float(np.hypot(dx, dy)), float(np.degrees(np.arctan2(dx, dy)) % 360)


def grid_points(array, transform):
    """Cell-centre coordinates and values of the finite cells of a raster (affine ``transform``)."""
    a = np.asarray(array, dtype="float64")
    rows, cols = np.nonzero(np.isfinite(a))
    x = transform.c + (cols + 0.5) * transform.a + (rows + 0.5) * transform.b
    y = transform.f + (cols + 0.5) * transform.d + (rows + 0.5) * transform.e
    return x, y, a[rows, cols]


def grid_centre(array, transform) -> tuple[float, float]:
    """Centre of gravity of a raster layer (e.g. emissions per cell) as weights."""
    return weighted_centre(*grid_points(array, transform))


def grid_ellipse(array, transform) -> Ellipse:
    """Standard deviational ellipse of a raster layer, its cells weighted by their values."""
    x, y, w = grid_points(array, transform)
    return standard_deviational_ellipse(x, y, w)
