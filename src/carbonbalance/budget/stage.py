"""The tables stage (SPEC §6): budget, zones, compensation and LMDI per level.

Emission and sequestration sources are config choices:

- CE: ``grid`` (what the allocation placed in each unit), ``statistics`` (the statistics
  table's ``co2_tco2`` at the level), ``energy`` (Jiangxi2024 energy accounting, Cz) or
  ``inventory`` (a gridded inventory regridded to the units by exact coverage);
- CS: ``casa`` (zonal sums of the CASA sequestration grid, NEP or NPP variant as
  configured there), ``nep`` (NEP mass × 44/12), ``npp_peng2023`` (NPP mass × 1.62/0.45),
  ``landuse`` (Jiangxi2024 land-use coefficient absorption) or ``npp_product`` (an NPP
  product's mass × ``npp_product_factor``: 44/12, or Peng2023's 1.62/0.45).

Budget and compensation masses are reported in one declared unit (``mass_unit``: t CO2 by
default, t C for the Jiangxi2024 variant), written into every column name (``ce_tco2`` or
``ce_tc``).  Sources are taken in that unit where they have it (the energy accounting and
the absorption are in t C and t CO2); otherwise converted with 12/44 — C and CO2 never
mix silently.
"""

from __future__ import annotations

import logging

import pandas as pd

from carbonbalance.budget.compensation import compensation
from carbonbalance.budget.indices import balance_indices
from carbonbalance.budget.lmdi import lmdi_table
from carbonbalance.budget.params import (
    EMISSION_SOURCES,
    MASS_UNITS,
    NPP_PRODUCT_FACTORS,
    SEQUESTRATION_SOURCES,
    TablesParams,
    mass_suffix,
)
from carbonbalance.budget.zoning import classify, schemes_from_config
from carbonbalance.core.constants import C_TO_CO2
from carbonbalance.errors import ConfigError, InputError

log = logging.getLogger(__name__)


def _values(frame: pd.DataFrame, col: str, what: str, source: str) -> pd.DataFrame:
    if col not in frame.columns:
        raise InputError(f"{what} source {source!r}: no column {col!r}")
    return frame[["unit_id", "year", col]]


def budget_base(
    level: str,
    zonal: pd.DataFrame,
    stats: pd.DataFrame,
    energy: pd.DataFrame | None,
    absorption: pd.DataFrame | None,
    emission_source: str,
    sequestration_source: str,
    mass_unit: str = "t CO2",
    npp_product_factor: str = "c_to_co2",
) -> pd.DataFrame:
    """Units of ``level`` per year with ``ce_<m>``, ``cs_<m>``, ``ca_<m>`` (m = the mass unit's
    suffix), GDP, population and area."""
    for key, value, allowed in (
        ("emission_source", emission_source, EMISSION_SOURCES),
        ("sequestration_source", sequestration_source, SEQUESTRATION_SOURCES),
    ):
        if value not in allowed:
            raise ConfigError(f"tables.{key}: {value!r} is not one of {list(allowed)}")
    m = mass_suffix(mass_unit)
    from_co2 = MASS_UNITS[mass_unit][1]  # t CO2 -> reporting unit
    from_c = from_co2 * C_TO_CO2  # t C -> reporting unit
    base = zonal.copy()
    lvl_stats = stats[stats["level"] == level]
    if emission_source == "grid":
        base[f"ce_{m}"] = base["emissions_tco2"] * from_co2
    elif emission_source == "inventory":
        base[f"ce_{m}"] = _values(base, "inventory_tco2", "emission", "inventory")["inventory_tco2"] * from_co2
    elif emission_source == "statistics":
        src = _values(lvl_stats, "co2_tco2", "emission", "statistics")
        base = base.merge(src.rename(columns={"co2_tco2": "_ce"}), on=["unit_id", "year"], how="left")
        base[f"ce_{m}"] = base.pop("_ce") * from_co2
    else:
        col = "emission_tc" if m == "tc" else "emission_tco2"
        src = _values(energy[energy["level"] == level], col, "emission", "energy")
        base = base.merge(src.rename(columns={col: f"ce_{m}"}), on=["unit_id", "year"], how="left")
    ab = None
    if absorption is not None:
        col = "absorption_tc" if m == "tc" else "absorption_tco2"
        ab = absorption[absorption["level"] == level][["unit_id", "year", col]]
        base = base.merge(ab.rename(columns={col: f"ca_{m}"}), on=["unit_id", "year"], how="left")
    if sequestration_source == "casa":
        base[f"cs_{m}"] = base["sequestration_tco2"] * from_co2
    elif sequestration_source == "nep":
        base[f"cs_{m}"] = base["nep_tc"] * from_c
    elif sequestration_source == "npp_peng2023":
        base[f"cs_{m}"] = base["npp_tc"] * 1.62 / 0.45 * from_co2
    elif sequestration_source == "npp_product":
        npp = _values(base, "npp_product_tc", "sequestration", "npp_product")["npp_product_tc"]
        base[f"cs_{m}"] = npp * NPP_PRODUCT_FACTORS[npp_product_factor] * from_co2
    else:
        if ab is None:
            raise InputError("sequestration source 'landuse' needs the land-use absorption tables")
        base[f"cs_{m}"] = base[f"ca_{m}"]
    # GDP, population and the Engel coefficient from the statistics (population there
    # replaces the gridded one: yearbook counts are what the indices are defined on)
    keep = [c for c in ("gdp_1e4yuan", "population_persons", "engel_coefficient") if c in lvl_stats.columns]
    base = base.drop(columns=[c for c in keep if c in base.columns])
    base = base.merge(lvl_stats[["unit_id", "year"] + keep], on=["unit_id", "year"], how="left")
    return base


def budget_table(
    base: pd.DataFrame, schemes: dict, reference: str | None, id_columns: list[str], suffix: str = "tco2"
) -> pd.DataFrame:
    """The budget table: ids, year, CE, CS, CB, CBI, CII, ECC, ESC, one zone column per scheme, note."""
    m = suffix
    t = balance_indices(base, ce=f"ce_{m}", cs=f"cs_{m}", reference=reference, source="budget")
    for name, scheme in schemes.items():
        t[f"zone_{name}"] = classify(t, name, scheme)
    cols = id_columns + ["year", f"ce_{m}", f"cs_{m}", f"cb_{m}", "cbi", f"cii_{m}", "ecc", "esc", "gdp_1e4yuan"]
    cols += [f"zone_{n}" for n in schemes] + ["note", f"ce_mean_region_{m}"]
    out = t[cols].copy()
    out.attrs["excluded"] = t.attrs["excluded"]
    return out


def reference_engel(
    base: pd.DataFrame, stats: pd.DataFrame, parent: tuple | None, reference: str | None, year: int
) -> tuple[pd.Series, str]:
    """The Engel coefficient of each unit's reference region in ``year`` and how it was found.

    The statistics row of the region (the parent unit, or the one parent all units of the
    level share) when it has one; otherwise the population-weighted mean of the units'
    own coefficients over the region.
    """
    rows = base[base["year"] == year].set_index("unit_id")
    if parent is not None and parent[1] in rows.columns and (reference or rows[parent[1]].nunique() == 1):
        p_rows = stats[(stats["level"] == parent[0]) & (stats["year"] == year)].set_index("unit_id")
        if "engel_coefficient" in p_rows.columns:
            value = rows[parent[1]].astype(str).map(p_rows["engel_coefficient"])
            if value.notna().all():
                return value, f"{parent[0]} statistics"
            log.warning(
                "compensation: no %s Engel coefficient for %s in %s; population-weighted mean of the units",
                parent[0],
                sorted(set(rows.loc[value.isna(), parent[1]].astype(str)))[:10],
                year,
            )
    region = rows[reference].astype(str) if reference else pd.Series("all", index=rows.index)
    w = (
        rows["population_persons"].where(rows["engel_coefficient"].notna())
        if "population_persons" in rows.columns
        else rows["engel_coefficient"].notna().astype(float)
    )
    num = (rows["engel_coefficient"] * w).groupby(region).transform("sum")
    return num / w.groupby(region).transform("sum"), "population-weighted mean of the units"


def compensation_table(
    budget: pd.DataFrame,
    base: pd.DataFrame,
    params: TablesParams,
    base_year: int,
    id_columns: list[str],
    stats: pd.DataFrame,
    parent: tuple | None,
    reference: str | None,
) -> tuple[pd.DataFrame, dict]:
    """Compensation of every later year against ``base_year`` (one block of rows per year)."""
    m, cp = params.suffix, params.compensation
    extra = [
        c
        for c in ("gdp_1e4yuan", "engel_coefficient", f"ca_{m}", "population_persons")
        if c not in budget.columns and c in base.columns
    ]
    full = budget.merge(base[["unit_id", "year"] + extra], on=["unit_id", "year"], how="left")
    region = full.set_index(["unit_id", "year"])[reference].astype(str) if reference else None
    years = sorted(full["year"].unique())
    d_years = cp.d_years or years
    unknown = sorted(set(d_years) - set(years))
    if unknown:
        raise ConfigError(f"tables.compensation.d_years: {unknown} are not years of the run ({years})")
    in_d = full[full["year"].isin(d_years)]
    groups = in_d[reference].astype(str) if reference else pd.Series("all", index=in_d.index)
    d_by_region = in_d[f"ce_{m}"].groupby(groups.to_numpy()).mean()  # D per reference region
    record = {
        "d_years": [int(y) for y in d_years],
        f"d_{m}_by_region": {str(k): float(v) for k, v in d_by_region.items()},
        "engel_source": cp.engel_source,
        "high_payer_break": cp.high_payer_break,
        "regions": "parent" if reference else "level",
    }
    t0 = full[full["year"] == base_year].set_index("unit_id")
    frames = []
    for year in [y for y in years if y > base_year]:
        t1 = full[full["year"] == year].set_index("unit_id")
        reg = region.xs(year, level="year") if region is not None else None
        d = (reg if reg is not None else pd.Series("all", index=t1.index)).map(d_by_region)
        engel = None
        if cp.engel_source == "reference":
            engel, how = reference_engel(full, stats, parent, reference, year)
            record.setdefault("engel_reference", {})[str(year)] = how
        c = compensation(t0, t1, cp, d, region=reg, suffix=m, engel=engel)
        c.insert(1, "year", int(year))
        c.insert(2, "base_year", int(base_year))
        frames.append(c)
    if not frames:
        log.warning("compensation: no year after the base year %s", base_year)
        return pd.DataFrame(columns=id_columns + ["year", "base_year"]), record
    out = pd.concat(frames, ignore_index=True)
    record["not_computed"] = int((out["class"] == "not computed").sum())
    ids = budget[id_columns].drop_duplicates("unit_id")
    return ids.merge(out, on="unit_id", how="right"), record


def lmdi_level_table(base: pd.DataFrame, periods: list, id_columns: list[str], suffix: str = "tco2") -> pd.DataFrame:
    """LMDI of Q = CE/CS per unit (and the whole level as ``region``) for every period."""
    panel = base.rename(
        columns={
            f"ce_{suffix}": "c",
            "gdp_1e4yuan": "g",
            "population_persons": "p",
            "area_km2": "s",
            f"cs_{suffix}": "n",
        }
    )
    for col in ("c", "g", "p", "s", "n"):
        if col not in panel.columns:
            raise InputError(f"lmdi: missing input column for {col!r}")
    t = lmdi_table(panel, periods)
    ids = base[id_columns].drop_duplicates("unit_id")
    out = ids.merge(t, on="unit_id", how="right")
    if "name" in out.columns:
        out.loc[out["unit_id"] == "region", "name"] = "all units of the level"
    return out


def run_tables(
    level: str,
    parent: tuple | None,
    zonal: pd.DataFrame,
    stats: pd.DataFrame,
    energy: pd.DataFrame | None,
    absorption: pd.DataFrame | None,
    cfg: dict | TablesParams,
    years: list[int],
) -> dict:
    """All tables of one level: {"budget", "compensation", "lmdi"} DataFrames and a record.

    parent : (level name, id column) of the level above, None for the coarsest
    """
    p = cfg if isinstance(cfg, TablesParams) else TablesParams.from_config(cfg)
    schemes = schemes_from_config(p.zoning.schemes, p.zoning.custom)
    base = budget_base(
        level,
        zonal,
        stats,
        energy,
        absorption,
        p.emission_source,
        p.sequestration_source,
        p.mass_unit,
        p.npp_product_factor,
    )
    reference = None
    if p.reference == "parent":
        if parent is None:
            log.warning("tables %s: no parent level, the reference region is the whole level", level)
        else:
            reference = parent[1]
    id_columns = [
        c
        for c in ["unit_id", "name"] + [c for c in zonal.columns if c.endswith("_id") and c != "unit_id"]
        if c in base.columns
    ]
    budget = budget_table(base, schemes, reference, id_columns, p.suffix)
    base_year = int(p.compensation.base_year or min(years))
    comp, comp_record = compensation_table(budget, base, p, base_year, id_columns, stats, parent, reference)
    periods = p.lmdi.periods or [(min(years), max(years))]
    lmdi = lmdi_level_table(base, periods, id_columns, p.suffix)
    zones = {n: budget[f"zone_{n}"].value_counts().to_dict() for n in schemes}
    excluded = budget.attrs["excluded"]
    if any(excluded.values()):
        log.warning("tables %s: unit-years without some indices: %s (see the note column)", level, excluded)
    record = {
        "emission_source": p.emission_source,
        "sequestration_source": p.sequestration_source,
        "mass_unit": p.mass_unit,
        "mass_columns_suffix": p.suffix,
        "reference": reference or "level",
        "zones": zones,
        "lmdi_periods": [list(x) for x in periods],
        "compensation_base_year": base_year,
        "compensation": comp_record,
        "units_with_notes": int((budget["note"] != "").sum()),
        "unit_years_excluded_from_indices": excluded,
        "lmdi_not_decomposable": int((lmdi["reason"] != "").sum()),
    }
    return {"budget": budget, "compensation": comp, "lmdi": lmdi, "record": record}
