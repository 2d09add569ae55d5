"""Each ensemble member's per-unit tables (rules ``ensemble_zonal`` and ``ensemble_tables``)
and what the members say together (rule ``ensemble_summary``).

A member recomputes only what its changes reach (:mod:`carbonbalance.ensemble.members`) and
takes everything else from the baseline's outputs, through the very functions of the
baseline's stages (:func:`carbonbalance.zonal.stage.zonal_year`,
:func:`carbonbalance.zonal.levels.aggregate_levels`,
:func:`carbonbalance.emissions.accounting.energy_accounting`,
:func:`carbonbalance.budget.stage.run_tables`), so that a member without changes equals the
baseline exactly.
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from carbonbalance.budget.stage import run_tables
from carbonbalance.core.assignment import Coverage
from carbonbalance.emissions.accounting import energy_accounting, with_absorption
from carbonbalance.emissions.params import EnergyParams
from carbonbalance.ensemble.summary import global_statistics, intervals, sensitivity, spread, zone_stability
from carbonbalance.errors import InputError
from carbonbalance.spatial.params import WeightsParams
from carbonbalance.spatial.stage import unit_weights
from carbonbalance.zonal.levels import aggregate_levels
from carbonbalance.zonal.stage import means_of, zonal_year

log = logging.getLogger(__name__)

#: the layers of the zonal table that come from the CASA stage
CASA_LAYERS = ("npp", "rh", "nep", "sequestration")


def member_zonal_year(
    cov: Coverage,
    baseline: pd.DataFrame,
    paths: dict,
    year: int,
    mode: str,
    landuse_codes,
    layers: list[str],
    threads: int = 1,
) -> pd.DataFrame:
    """One member's finest-unit table of ``year``.

    layers : ``["all"]`` (another zonal mode or land-use classes: every column recomputed), or
             the stages whose layers the member changes (``casa``, ``emissions``); the other
             columns are the baseline's
    paths : as :func:`~carbonbalance.zonal.stage.zonal_year`, with the member's CASA rasters
            and emission table
    """
    if "all" in layers:
        return zonal_year(cov, paths, year, mode=mode, landuse_codes=landuse_codes, threads=threads)[0]
    sub = {"area": paths["area"]}
    if "casa" in layers:
        sub |= {k: paths[k] for k in CASA_LAYERS}
    if "emissions" in layers:
        sub["emissions"] = paths["emissions"]
    part = zonal_year(cov, sub, year, mode=mode, threads=threads)[0]
    if list(part["unit_id"].astype(str)) != list(baseline["unit_id"].astype(str)):
        raise InputError(f"zonal {year}: the baseline's table lists other units than the assignment; rerun zonal")
    out = baseline.copy()
    if "emissions" in layers:  # another method has other category columns
        out = out.drop(columns=[c for c in out.columns if c.startswith("emissions_") and c not in part.columns])
    for c in part.columns:
        if c not in ("unit_id", "year"):
            out[c] = part[c].to_numpy()
    return out


def member_budgets(
    stages: list[str],
    finest: pd.DataFrame | None,
    baseline_zonal: dict,
    units: pd.DataFrame,
    levels: list,
    statistics: pd.DataFrame,
    energy: pd.DataFrame,
    energy_cfg: dict | None,
    absorption: pd.DataFrame,
    lam: dict | None,
    tables_cfg: dict,
    report_levels: list[str],
    parents: dict,
    years: list[int],
) -> dict:
    """{level: budget table} of one member.

    stages : the stages the member reruns; finest : its finest-unit tables of every year
    (None: the baseline's level tables ``baseline_zonal`` hold); energy, absorption : the
    baseline's tables (absorption: the member's own when its class areas change), recomputed
    with ``energy_cfg`` and ``lam`` when the member changes them.
    """
    if "zonal" in stages:
        if finest is None:
            raise InputError("ensemble member reruns the zonal stage but has no finest-unit tables")
        means = means_of(finest.columns)
        sums = [c for c in finest.columns if c not in ("unit_id", "year") and c not in means]
        zonal = aggregate_levels(finest, units, levels, sums, means)
    else:
        zonal = baseline_zonal
    if "energy_accounting" in stages and energy_cfg is not None:
        energy = energy_accounting(statistics, EnergyParams.from_config(energy_cfg))
        energy.attrs = {}
    if "landuse_absorption" in stages and lam is not None:
        absorption = with_absorption(absorption, lam)
    out = {}
    for level in report_levels:
        parent = tuple(parents[level]) if parents.get(level) else None
        out[level] = run_tables(level, parent, zonal[level], statistics, energy, absorption, tables_cfg, years)[
            "budget"
        ]
    return out


def stack_members(budgets: dict) -> pd.DataFrame:
    """One long table of {member: budget table} with a leading ``member`` column."""
    frames = [b.assign(member=m) for m, b in budgets.items()]
    out = pd.concat(frames, ignore_index=True)
    return out[["member"] + [c for c in out.columns if c != "member"]]


def level_summary(long: pd.DataFrame, members: dict, schemes: list[str], percentiles) -> dict[str, pd.DataFrame]:
    """The intervals, zone stability and sensitivity tables of one level's members."""
    return {
        "intervals": intervals(long, percentiles),
        "stability": zone_stability(long, schemes),
        "sensitivity": sensitivity(long, members, schemes),
    }


def global_spread(
    long: pd.DataFrame, units, members: dict, analysis: dict, group_column: str, variables: list[str], percentiles
) -> pd.DataFrame:
    """Spread over the members of global Moran's I and of the Dagum Gini of one level.

    ``units``: the level's units (``unit_id``, the group column, geometry); ``analysis``:
    each member's ``analysis`` config, whose ``weights`` may differ (a W is built once per
    distinct weights config and shared by the members that use it)."""
    ids = units["unit_id"].astype(str).tolist()
    built, weights = {}, {}
    for m in members:
        key = json.dumps(analysis[m]["weights"], sort_keys=True)
        if key not in built:
            built[key] = unit_weights(units, WeightsParams.from_config(analysis[m]["weights"]))[0]
        weights[m] = built[key]
    groups = units[group_column].astype(str).to_numpy() if group_column in units.columns else None
    return spread(global_statistics(long, ids, weights, groups, variables), percentiles)
