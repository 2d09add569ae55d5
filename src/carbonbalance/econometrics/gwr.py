"""Multiscale geographically weighted regression (Zhu2026).

The fits run on :mod:`carbonbalance.econometrics.gwr_engine` (the PySAL ``mgwr`` package's
algorithm on precomputed neighbour orders, in numba); ``engine="mgwr"`` runs the package
itself, the reference of the tests and of the benchmark."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carbonbalance.econometrics.panel import check_rank
from carbonbalance.errors import ConfigError, InputError

log = logging.getLogger(__name__)


@dataclass
class MGWRResult:
    """Per-covariate bandwidths, local coefficients and their summary for one cross-section.

    bandwidths : Series, covariate → number of nearest neighbours (adaptive bisquare) or
                 distance in the coordinates' unit (``fixed``); ``intercept`` included
    local : per unit: ``<covariate>`` coefficient, ``<covariate>_se``, ``<covariate>_t`` and
            ``<covariate>_significant`` (t beyond the covariate's multiple-testing corrected
            critical value, da Silva & Fotheringham 2016), plus ``local_r2`` is not defined for
            MGWR and therefore absent
    summary : one row per covariate: bandwidth, mean, std, min, median, max, share significant
    """

    bandwidths: pd.Series
    local: pd.DataFrame
    summary: pd.DataFrame
    aicc: float
    r2: float
    adj_r2: float
    standardized: bool


def mgwr_coordinates(gdf) -> tuple[np.ndarray, bool]:
    """Representative points of ``gdf`` in km (projected CRS) or lon/lat degrees (spherical)."""
    if gdf.crs is None:
        raise InputError("mgwr: the units have no CRS; distances would be meaningless")
    pts = gdf.geometry.representative_point()
    if gdf.crs.is_geographic:
        return np.column_stack([pts.x, pts.y]), True
    factor = gdf.crs.axis_info[0].unit_conversion_factor if gdf.crs.axis_info else 1.0
    return np.column_stack([pts.x, pts.y]) * factor / 1000.0, False


def mgwr(
    gdf,
    y: str,
    x: list[str],
    standardize: bool = True,
    kernel: str = "bisquare",
    fixed: bool = False,
    criterion: str = "AICc",
    n_jobs: int = 1,
    coords: np.ndarray | None = None,
    spherical: bool = False,
    id_column: str = "unit_id",
    bw_min: float | None = None,
    engine: str = "carbonbalance",
    threads: int = 1,
) -> MGWRResult:
    """Multiscale GWR of ``y`` on ``x`` over the units of ``gdf``.

    Variables are standardised (mean 0, sd 1) before the fit by default, as MGWR's
    bandwidths are only comparable that way (Fotheringham et al. 2017); the local
    coefficients are then in standard deviations of y per standard deviation of x.
    Coordinates are the units' representative points in km (or lon/lat with
    ``spherical`` distances for a geographic CRS) unless ``coords`` is given.
    ``n_jobs`` processes are used from 500 units on; below that, process start-up costs
    more than the fits (38 units: 16 s on two processes against 6 s on one).
    ``bw_min`` is the smallest bandwidth searched; by default mgwr's 40 + 2 k neighbours,
    or n / 4 (at least k + 3) when there are too few units for that (a province's
    prefectures, the demo's counties).  ``engine``: ``carbonbalance`` (default; ``threads``
    threads) or ``mgwr`` (the package; ``n_jobs`` processes), with the same results.
    """
    x = list(x)
    missing = [c for c in [y, *x] if c not in gdf.columns]
    if missing:
        raise InputError(f"mgwr: no column(s) {missing}")
    data = gdf[[y, *x]].apply(pd.to_numeric, errors="coerce").astype("float64")
    ids = gdf[id_column].astype(str).to_numpy() if id_column in gdf.columns else np.arange(len(gdf)).astype(str)
    bad = ~np.isfinite(data.to_numpy())
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise InputError(
            f"mgwr: missing or non-finite values (unit, variable): "
            f"{[(ids[r], data.columns[c]) for r, c in zip(rows, cols)][:10]}"
        )
    n = len(data)
    if n < 10 + 2 * len(x):
        raise InputError(f"mgwr: {n} units are too few for {len(x)} covariates (need at least {10 + 2 * len(x)})")
    if coords is None:
        coords, spherical = mgwr_coordinates(gdf)
    n_jobs = n_jobs if n >= 500 else 1
    Y = data[[y]].to_numpy()
    X = data[x].to_numpy()
    check_rank(np.column_stack([np.ones(n), X - X.mean(axis=0)]), ["intercept", *x], np.column_stack([np.ones(n), X]))
    if standardize:
        Y = (Y - Y.mean()) / Y.std()
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    k = len(x) + 1
    if not fixed:
        lo = bw_min if bw_min is not None else (40 + 2 * k if 40 + 2 * k < n - 1 else max(k + 3, n // 4))
        if not k + 2 <= lo < n:
            raise ConfigError(f"mgwr: bw_min {lo} must be between {k + 2} and {n - 1} neighbours for {n} units")
    else:
        lo = bw_min
    fit = _fit_engine if engine == "carbonbalance" else _fit_package if engine == "mgwr" else None
    if fit is None:
        raise ConfigError(f"mgwr: engine {engine!r} is not 'carbonbalance' or 'mgwr'")
    bws, params, bse, enp, aicc, r2, adj_r2 = fit(
        coords, Y, X, kernel, fixed, spherical, criterion, lo, n_jobs, threads
    )
    tvals = params / bse
    # da Silva & Fotheringham (2016): alpha 0.05 shared by each covariate's effective parameters
    from scipy.stats import t as student

    critical = student.ppf(1 - (0.05 / enp) / 2.0, n - 1)
    significant = (tvals >= critical) | (tvals <= -critical)
    names = ["intercept", *x]
    bws = pd.Series(np.asarray(bws, dtype="float64"), index=names, name="bandwidth")
    local = pd.DataFrame({id_column: ids})
    for j, name in enumerate(names):
        local[name] = params[:, j]
        local[f"{name}_se"] = bse[:, j]
        local[f"{name}_t"] = tvals[:, j]
        local[f"{name}_significant"] = significant[:, j]
    summary = pd.DataFrame(
        {
            "covariate": names,
            "bandwidth": bws.to_numpy(),
            "mean": params.mean(axis=0),
            "std": params.std(axis=0, ddof=1),
            "min": params.min(axis=0),
            "median": np.median(params, axis=0),
            "max": params.max(axis=0),
            "enp": enp,
            "share_significant": significant.mean(axis=0),
        }
    )
    return MGWRResult(
        bandwidths=bws,
        local=local,
        summary=summary,
        aicc=float(aicc),
        r2=float(r2),
        adj_r2=float(adj_r2),
        standardized=standardize,
    )


def _fit_engine(coords, Y, X, kernel, fixed, spherical, criterion, lo, n_jobs, threads):
    """(bandwidths, params, se, ENP_j, AICc, R2, adjusted R2) from the numba engine."""
    from carbonbalance.econometrics import gwr_engine as ge

    n = len(Y)
    XX = np.column_stack([np.ones(n), X])
    y = np.asarray(Y, dtype="float64").ravel()
    space = ge.Space(coords, spherical=spherical, kernel=kernel, fixed=fixed, threads=threads)
    hi = None if fixed else n
    # as the package: a fixed bandwidth's initial search is unbounded, only the per-covariate ones start at lo
    init = ge.search(space, y, XX, criterion, None if fixed else lo, hi)
    log.info("MGWR: initial GWR bandwidth %s", init)
    bws, history, params, _ = ge.backfit(space, y, XX, init, criterion, lo, hi)
    enp, cct = ge.inference(space, XX, init, history)
    resid = y - (params * XX).sum(axis=1)
    rss = float(resid @ resid)
    tr_s = float(enp.sum())
    bse = np.sqrt(cct * rss / (n - tr_s))
    aicc = ge.criterion_value("AICc", y, resid, np.full(n, tr_s / n))
    r2 = 1.0 - rss / float(np.sum((y - y.mean()) ** 2))
    adj_r2 = 1 - (1 - r2) * (n - 1) / (n - tr_s - 1)
    return bws, params, bse, enp, aicc, r2, adj_r2


def _fit_package(coords, Y, X, kernel, fixed, spherical, criterion, lo, n_jobs, threads):
    """The same from the PySAL ``mgwr`` package (the reference)."""
    from mgwr.gwr import MGWR
    from mgwr.sel_bw import Sel_BW

    n = len(Y)
    selector = Sel_BW(coords, Y, X, multi=True, kernel=kernel, fixed=fixed, spherical=spherical, n_jobs=n_jobs)
    search = {"criterion": criterion}
    if not fixed:
        # mgwr searches its starting GWR bandwidth without these bounds: give it one
        init = Sel_BW(coords, Y, X, kernel=kernel, fixed=fixed, spherical=spherical, n_jobs=n_jobs)
        search |= {
            "multi_bw_min": [lo],
            "multi_bw_max": [n],
            "init_multi": init.search(criterion=criterion, bw_min=lo, bw_max=n),
        }
    elif lo is not None:
        search |= {"bw_min": lo, "multi_bw_min": [lo]}
    selector.search(**search)
    res = MGWR(coords, Y, X, selector, kernel=kernel, fixed=fixed, spherical=spherical, n_jobs=n_jobs).fit()
    return selector.bw[0], res.params, res.bse, np.asarray(res.ENP_j), res.aicc, res.R2, res.adj_R2
