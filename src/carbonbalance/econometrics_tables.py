"""The econometrics stage (SPEC §8): panel of one level, model tables, robustness runs, MGWR.

The panel joins, per unit and year, the level's budget table, its rows of the statistics
table and its zonal table (in that order of precedence for a column present in several),
then evaluates the configured variable expressions.
"""

from __future__ import annotations

import logging

import pandas as pd

from carbonbalance import econometrics as em
from carbonbalance import spatial
from carbonbalance.errors import InputError

log = logging.getLogger(__name__)


def panel_frame(budget: pd.DataFrame, statistics: pd.DataFrame | None, zonal: pd.DataFrame | None,
                level: str) -> pd.DataFrame:
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
        out[expr] = em.evaluate(frame, expr).to_numpy()
    return out


def unit_weights(gdf, cfg: dict):
    """Row-standardised libpysal W of ``gdf`` (column ``unit_id``) with the unit ids as ids."""
    w = spatial.weights(gdf, kind=cfg.get("kind", "queen"), islands=cfg.get("islands", "nearest"),
                        k=cfg.get("k"), power=cfg.get("power"))
    w.remap_ids(gdf["unit_id"].astype(str).tolist())
    return w


def weights_label(cfg: dict) -> str:
    kind = cfg.get("kind", "queen")
    if kind == "inverse_distance":
        return f"inverse_distance^{cfg.get('power')}"
    return f"knn{cfg.get('k')}" if kind == "knn" else kind


def _coefficients(result, run: str) -> pd.DataFrame:
    return result.coefficients.assign(run=run, model=result.model)


def run_panel_models(data: pd.DataFrame, gdf, y: str, x: list[str], cfg: dict) -> dict[str, pd.DataFrame]:
    """Fit the configured models (main run) and the SDM robustness runs.

    Returns tables ``coefficients`` (run, model, term, estimate, std_error, z, p_value),
    ``effects`` (main SDM, one row per covariate), ``robustness_effects`` (run, covariate, ...),
    ``tests`` (run, model, test, statistic, df, p_value: LM, Wald and LR) and ``fit``
    (run, model, n_obs, N, T, sigma2, log_likelihood, aic, bic, r2_within, corr2, weights).
    """
    effects = cfg.get("effects", "twoways")
    lee_yu = cfg.get("lee_yu", "auto")
    lee_yu = em.default_lee_yu(effects) if lee_yu in (None, "auto") else bool(lee_yu)
    draws, seed = int(cfg.get("draws", 1000)), int(cfg.get("seed", 1))
    main_w_cfg = dict(cfg.get("weights") or {})
    w = unit_weights(gdf, main_w_cfg)
    models = list(dict.fromkeys([*cfg.get("models", em.MODELS), "sdm"]))
    kw = dict(unit="unit_id", time="year", effects=effects, lee_yu=lee_yu, draws=draws, seed=seed)

    coefs, tests, fits, rob_effects = [], [], [], []
    fitted = {}
    for model in models:
        r = em.spatial_panel(data, y, x, w, model=model, **kw)
        fitted[model] = r
        log.info("%s (%s effects): log L = %.3f\n%s", model, effects, r.log_likelihood,
                 r.coefficients.to_string(index=False))
        coefs.append(_coefficients(r, "main"))
        fits.append(r.summary().assign(run="main", weights=weights_label(main_w_cfg)))
        if not r.wald_tests.empty:
            tests.append(r.wald_tests.assign(run="main", model=model))
    tests.insert(0, fitted["sdm"].lm_tests.assign(run="main", model="ols"))
    for restricted in ("slm", "sem"):
        if restricted in fitted:
            lr = 2 * (fitted["sdm"].log_likelihood - fitted[restricted].log_likelihood)
            tests.append(pd.DataFrame([em.chi2_row(f"LR SDM -> {restricted.upper()}", lr, len(x))])
                         .assign(run="main", model="sdm"))

    runs = []
    wins = (cfg.get("robustness") or {}).get("winsorize")
    if wins:
        lo, hi = float(wins.get("lower", 0.01)), float(wins.get("upper", 0.99))
        runs.append((f"winsorized_{lo:g}_{hi:g}", em.winsorize(data, [y, *x], lo, hi), w, main_w_cfg))
    for wcfg in (cfg.get("robustness") or {}).get("weights") or []:
        runs.append((f"w_{weights_label(wcfg)}", data, unit_weights(gdf, wcfg), wcfg))
    for run, d, ww, wcfg in runs:
        r = em.spatial_panel(d, y, x, ww, model="sdm", **kw)
        log.info("robustness run %s: rho = %.4f", run, r.params["rho"])
        coefs.append(_coefficients(r, run))
        fits.append(r.summary().assign(run=run, weights=weights_label(wcfg)))
        rob_effects.append(r.effects.assign(run=run))
        tests.append(r.wald_tests.assign(run=run, model="sdm"))

    first = ["run", "model"]
    coefficients = pd.concat(coefs, ignore_index=True)
    tests_table = pd.concat(tests, ignore_index=True)
    fit = pd.concat(fits, ignore_index=True)
    rob = pd.concat(rob_effects, ignore_index=True) if rob_effects else pd.DataFrame(columns=["run", "covariate"])
    return {
        "coefficients": coefficients[first + [c for c in coefficients.columns if c not in first]],
        "effects": fitted["sdm"].effects.assign(y=y, effects=effects, weights=weights_label(main_w_cfg),
                                                draws=fitted["sdm"].effects.attrs.get("draws", draws)),
        "robustness_effects": rob[["run"] + [c for c in rob.columns if c != "run"]],
        "tests": tests_table[first + [c for c in tests_table.columns if c not in first]],
        "fit": fit[first + [c for c in fit.columns if c not in first]],
    }


def mgwr_year(gdf, data: pd.DataFrame, year: int, y: str, x: list[str], cfg: dict, n_jobs: int = 1):
    """MGWR of one year's cross-section; returns (summary, local, result)."""
    rows = data[data["year"] == year]
    if rows.empty:
        raise InputError(f"mgwr: no rows for year {year}")
    units = gdf[["unit_id", "geometry"]].merge(rows, on="unit_id", how="inner")
    if len(units) != len(gdf):
        missing = sorted(set(gdf["unit_id"]) - set(units["unit_id"]))
        raise InputError(f"mgwr: {len(missing)} unit(s) have no {year} row: {missing[:10]}")
    res = em.mgwr(units, y, x, standardize=bool(cfg.get("standardize", True)),
                  kernel=cfg.get("kernel", "bisquare"), fixed=bool(cfg.get("fixed", False)),
                  criterion=cfg.get("criterion", "AICc"), n_jobs=n_jobs, bw_min=cfg.get("bw_min"))
    summary = res.summary.assign(year=int(year), y=y, n_units=len(units), aicc=res.aicc, r2=res.r2,
                                 adj_r2=res.adj_r2, standardized=res.standardized,
                                 bandwidth_unit="km" if cfg.get("fixed") else "nearest neighbours")
    local = res.local.assign(year=int(year))
    return summary, local, res

