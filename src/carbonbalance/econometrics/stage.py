"""The econometrics stage (SPEC §8): panel of one level, model tables, robustness runs, MGWR.

The panel joins, per unit and year, the level's budget table, its rows of the statistics
table and its zonal table (in that order of precedence for a column present in several),
then evaluates the configured variable expressions.
"""

from __future__ import annotations

import logging

import pandas as pd

from carbonbalance.econometrics.diagnostics import chi2_row
from carbonbalance.econometrics.gwr import mgwr
from carbonbalance.econometrics.models import spatial_panel
from carbonbalance.econometrics.panel import evaluate, winsorize
from carbonbalance.econometrics.params import EconometricsParams, MgwrParams
from carbonbalance.errors import InputError
from carbonbalance.spatial.neighbours import inverse_distance_matrix, weights
from carbonbalance.spatial.params import WeightsParams

log = logging.getLogger(__name__)


def panel_frame(
    budget: pd.DataFrame, statistics: pd.DataFrame | None, zonal: pd.DataFrame | None, level: str
) -> pd.DataFrame:
    """One row per unit and year with every column of the three sources."""
    keys = ["unit_id", "year"]
    out = budget.assign(unit_id=budget["unit_id"].astype(str))
    for name, extra in (("statistics", statistics), ("zonal", zonal)):
        if extra is None:
            continue
        if "level" in extra.columns:
            extra = extra[extra["level"] == level]
        extra = extra.assign(unit_id=extra["unit_id"].astype(str))
        cols = [c for c in extra.columns if c not in out.columns and c != "level"]
        if extra.duplicated(keys).any():
            raise InputError(f"econometrics: the {name} table has duplicate unit/year rows for level {level}")
        out = out.merge(extra[keys + cols], on=keys, how="left")
    return out


def model_frame(frame: pd.DataFrame, y: str, x: list[str]) -> pd.DataFrame:
    """unit_id, year and the evaluated variables (named by their expressions)."""
    out = frame[["unit_id", "year"]].copy()
    for expr in [y, *x]:
        out[expr] = evaluate(frame, expr).to_numpy()
    return out


def unit_weights(gdf, params: WeightsParams | dict):
    """Row-standardised weights of ``gdf`` (column ``unit_id``) labelled by the unit ids: a
    libpysal W, or for inverse distances (all pairs) a square DataFrame."""
    p = params if isinstance(params, WeightsParams) else WeightsParams.from_config(params)
    ids = gdf["unit_id"].astype(str).tolist()
    if p.kind == "inverse_distance" and p.power:
        return inverse_distance_matrix(gdf, p.power, ids=ids)  # all pairs: a matrix, not a W's dicts
    return weights(gdf, kind=p.kind, islands=p.islands, k=p.k, power=p.power, ids=ids)


def _coefficients(result, run: str) -> pd.DataFrame:
    return result.coefficients.assign(run=run, model=result.model)


def run_panel_models(
    data: pd.DataFrame, gdf, y: str, x: list[str], params: EconometricsParams
) -> dict[str, pd.DataFrame]:
    """Fit the configured models (main run) and the SDM robustness runs.

    Returns tables ``coefficients`` (run, model, term, estimate, std_error, z, p_value),
    ``effects`` (main SDM, one row per covariate), ``robustness_effects`` (run, covariate, ...),
    ``tests`` (run, model, test, statistic, df, p_value: LM, Wald and LR) and ``fit``
    (run, model, n_obs, N, T, sigma2, log_likelihood, aic, bic, r2_within, corr2, weights).
    """
    p = params
    effects, draws = p.effects, int(p.draws)
    w = unit_weights(gdf, p.weights)
    fits_of = list(dict.fromkeys([*p.models, "sdm"]))
    kw = dict(unit="unit_id", time="year", effects=effects, lee_yu=p.use_lee_yu, draws=draws, seed=int(p.seed))

    coefs, tests, fits, rob_effects = [], [], [], []
    fitted = {}
    for model in fits_of:
        r = spatial_panel(data, y, x, w, model=model, **kw)
        fitted[model] = r
        log.info(
            "%s (%s effects): log L = %.3f\n%s", model, effects, r.log_likelihood, r.coefficients.to_string(index=False)
        )
        coefs.append(_coefficients(r, "main"))
        fits.append(r.summary().assign(run="main", weights=p.weights.label))
        if not r.wald_tests.empty:
            tests.append(r.wald_tests.assign(run="main", model=model))
    tests.insert(0, fitted["sdm"].lm_tests.assign(run="main", model="ols"))
    for restricted in ("slm", "sem"):
        if restricted in fitted:
            lr = 2 * (fitted["sdm"].log_likelihood - fitted[restricted].log_likelihood)
            tests.append(
                pd.DataFrame([chi2_row(f"LR SDM -> {restricted.upper()}", lr, len(x))]).assign(run="main", model="sdm")
            )

    runs = []
    wins = p.robustness.winsorize
    if wins:
        lo, hi = float(wins.lower), float(wins.upper)
        runs.append((f"winsorized_{lo:g}_{hi:g}", winsorize(data, [y, *x], lo, hi), w, p.weights))
    for wp in p.robustness.weights:
        runs.append((f"w_{wp.label}", data, unit_weights(gdf, wp), wp))
    for run, d, ww, wp in runs:
        r = spatial_panel(d, y, x, ww, model="sdm", **kw)
        log.info("robustness run %s: rho = %.4f", run, r.params["rho"])
        coefs.append(_coefficients(r, run))
        fits.append(r.summary().assign(run=run, weights=wp.label))
        rob_effects.append(r.effects.assign(run=run))
        tests.append(r.wald_tests.assign(run=run, model="sdm"))

    first = ["run", "model"]
    coefficients = pd.concat(coefs, ignore_index=True)
    tests_table = pd.concat(tests, ignore_index=True)
    fit = pd.concat(fits, ignore_index=True)
    rob = pd.concat(rob_effects, ignore_index=True) if rob_effects else pd.DataFrame(columns=["run", "covariate"])
    return {
        "coefficients": coefficients[first + [c for c in coefficients.columns if c not in first]],
        "effects": fitted["sdm"].effects.assign(
            y=y, effects=effects, weights=p.weights.label, draws=fitted["sdm"].effects.attrs.get("draws", draws)
        ),
        "robustness_effects": rob[["run"] + [c for c in rob.columns if c != "run"]],
        "tests": tests_table[first + [c for c in tests_table.columns if c not in first]],
        "fit": fit[first + [c for c in fit.columns if c not in first]],
    }


def mgwr_year(gdf, data: pd.DataFrame, year: int, y: str, x: list[str], params: MgwrParams, n_jobs: int = 1):
    """MGWR of one year's cross-section; returns (summary, local, result)."""
    rows = data[data["year"] == year]
    if rows.empty:
        raise InputError(f"mgwr: no rows for year {year}")
    units = gdf[["unit_id", "geometry"]].merge(rows, on="unit_id", how="inner")
    if len(units) != len(gdf):
        missing = sorted(set(gdf["unit_id"]) - set(units["unit_id"]))
        raise InputError(f"mgwr: {len(missing)} unit(s) have no {year} row: {missing[:10]}")
    p = params
    res = mgwr(
        units,
        y,
        x,
        standardize=bool(p.standardize),
        kernel=p.kernel,
        fixed=bool(p.fixed),
        criterion=p.criterion,
        n_jobs=n_jobs,
        threads=n_jobs,
        bw_min=p.bw_min,
    )
    summary = res.summary.assign(
        year=int(year),
        y=y,
        n_units=len(units),
        aicc=res.aicc,
        r2=res.r2,
        adj_r2=res.adj_r2,
        standardized=res.standardized,
        bandwidth_unit="km" if p.fixed else "nearest neighbours",
    )
    local = res.local.assign(year=int(year))
    return summary, local, res
