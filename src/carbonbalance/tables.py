"""The tables stage (SPEC §6): budget, zones, compensation and LMDI per level.

Emission and sequestration sources are config choices:

- CE: ``grid`` (zonal sums of the downscaled emission grid), ``statistics`` (the
  statistics table's ``co2_tco2`` at the level) or ``energy`` (Jiangxi2024 energy
  accounting, ``emission_tco2``);
- CS: ``casa`` (zonal sums of the CASA sequestration grid, NEP or NPP variant as
  configured there), ``nep`` (NEP mass × 44/12), ``npp_peng2023`` (NPP mass × 1.62/0.45)
  or ``landuse`` (Jiangxi2024 land-use coefficient absorption, × 44/12).
"""

from __future__ import annotations

import logging

import pandas as pd

from carbonbalance.budget import balance_indices
from carbonbalance.compensation import CompensationParams, compensation
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.lmdi import lmdi_table
from carbonbalance.zoning import classify, schemes_from_config

log = logging.getLogger(__name__)

C_TO_CO2 = 44.0 / 12.0
EMISSION_SOURCES = ("grid", "statistics", "energy")
SEQUESTRATION_SOURCES = ("casa", "nep", "npp_peng2023", "landuse")


def _values(frame: pd.DataFrame, col: str, what: str, source: str) -> pd.DataFrame:
    if col not in frame.columns:
        raise InputError(f"{what} source {source!r}: no column {col!r}")
    return frame[["unit_id", "year", col]]


def budget_base(level: str, zonal: pd.DataFrame, stats: pd.DataFrame, energy: pd.DataFrame | None,
                absorption: pd.DataFrame | None, emission_source: str, sequestration_source: str) -> pd.DataFrame:
    """Units of ``level`` per year with ``ce_tco2``, ``cs_tco2``, GDP, population, area, CA."""
    if emission_source not in EMISSION_SOURCES:
        raise ConfigError(f"tables.emission_source: {emission_source!r} is not one of {list(EMISSION_SOURCES)}")
    if sequestration_source not in SEQUESTRATION_SOURCES:
        raise ConfigError(f"tables.sequestration_source: {sequestration_source!r} is not one of "
                          f"{list(SEQUESTRATION_SOURCES)}")
    base = zonal.copy()
    lvl_stats = stats[stats["level"] == level]
    if emission_source == "grid":
        base["ce_tco2"] = base["emissions_tco2"]
    else:
        src = lvl_stats if emission_source == "statistics" else energy[energy["level"] == level]
        col = "co2_tco2" if emission_source == "statistics" else "emission_tco2"
        base = base.merge(_values(src, col, "emission", emission_source).rename(columns={col: "ce_tco2"}),
                          on=["unit_id", "year"], how="left")
    ab = None
    if absorption is not None:
        ab = absorption[absorption["level"] == level][["unit_id", "year", "absorption_tco2"]]
        base = base.merge(ab.rename(columns={"absorption_tco2": "ca_tco2"}), on=["unit_id", "year"], how="left")
    if sequestration_source == "casa":
        base["cs_tco2"] = base["sequestration_tco2"]
    elif sequestration_source == "nep":
        base["cs_tco2"] = base["nep_tc"] * C_TO_CO2
    elif sequestration_source == "npp_peng2023":
        base["cs_tco2"] = base["npp_tc"] * 1.62 / 0.45
    else:
        if ab is None:
            raise InputError("sequestration source 'landuse' needs the land-use absorption tables")
        base["cs_tco2"] = base["ca_tco2"]
    # GDP, population and the Engel coefficient from the statistics (population there
    # replaces the gridded one: yearbook counts are what the indices are defined on)
    keep = [c for c in ("gdp_1e4yuan", "population_persons", "engel_coefficient") if c in lvl_stats.columns]
    base = base.drop(columns=[c for c in keep if c in base.columns])
    base = base.merge(lvl_stats[["unit_id", "year"] + keep], on=["unit_id", "year"], how="left")
    return base


def budget_table(base: pd.DataFrame, schemes: dict, reference: str | None, id_columns: list[str]) -> pd.DataFrame:
    """The budget table: ids, year, CE, CS, CB, CBI, CII, ECC, ESC, one zone column per scheme, note."""
    t = balance_indices(base, reference=reference, source="budget")
    for name, scheme in schemes.items():
        t[f"zone_{name}"] = classify(t, name, scheme)
    cols = id_columns + ["year", "ce_tco2", "cs_tco2", "cb_tco2", "cbi", "cii", "ecc", "esc", "gdp_1e4yuan"]
    cols += [f"zone_{n}" for n in schemes] + ["note"]
    return t[cols + [c for c in ("ce_mean_region_tco2",) if c in t.columns]]


def compensation_table(budget: pd.DataFrame, base: pd.DataFrame, params: CompensationParams,
                       base_year: int, id_columns: list[str]) -> pd.DataFrame:
    """Compensation of every later year against ``base_year`` (one block of rows per year)."""
    extra = [c for c in ("gdp_1e4yuan", "engel_coefficient", "ca_tco2") if c not in budget.columns]
    full = budget.merge(base[["unit_id", "year"] + extra], on=["unit_id", "year"], how="left")
    d = float(full["ce_tco2"].mean())  # D: mean unit emissions over the configured years
    t0 = full[full["year"] == base_year].set_index("unit_id")
    frames = []
    for year in sorted(y for y in full["year"].unique() if y > base_year):
        t1 = full[full["year"] == year].set_index("unit_id")
        c = compensation(t0, t1, params, d)
        c.insert(1, "year", int(year))
        c.insert(2, "base_year", int(base_year))
        frames.append(c)
    if not frames:
        log.warning("compensation: no year after the base year %s", base_year)
        return pd.DataFrame(columns=id_columns + ["year", "base_year"])
    out = pd.concat(frames, ignore_index=True)
    ids = budget[id_columns].drop_duplicates("unit_id")
    return ids.merge(out, on="unit_id", how="right")


def lmdi_level_table(base: pd.DataFrame, periods: list, id_columns: list[str]) -> pd.DataFrame:
    """LMDI of Q = CE/CS per unit (and the whole level as ``region``) for every period."""
    panel = base.rename(columns={"ce_tco2": "c", "gdp_1e4yuan": "g", "population_persons": "p", "area_km2": "s",
                                 "cs_tco2": "n"})
    for col in ("c", "g", "p", "s", "n"):
        if col not in panel.columns:
            raise InputError(f"lmdi: missing input column for {col!r}")
    t = lmdi_table(panel, periods)
    ids = base[id_columns].drop_duplicates("unit_id")
    out = ids.merge(t, on="unit_id", how="right")
    if "name" in out.columns:
        out.loc[out["unit_id"] == "region", "name"] = "all units of the level"
    return out


def run_tables(level: str, parent_id: str | None, zonal: pd.DataFrame, stats: pd.DataFrame,
               energy: pd.DataFrame | None, absorption: pd.DataFrame | None, cfg: dict, years: list[int]) -> dict:
    """All tables of one level: {"budget", "compensation", "lmdi"} DataFrames and a record."""
    schemes = schemes_from_config(cfg.get("zoning", {}).get("schemes", ["fan2024", "peng2023", "jiangxi2024"]),
                                  cfg.get("zoning", {}).get("custom"))
    base = budget_base(level, zonal, stats, energy, absorption, cfg.get("emission_source", "grid"),
                       cfg.get("sequestration_source", "casa"))
    reference = None
    if cfg.get("reference", "level") == "parent":
        if parent_id is None:
            log.warning("tables %s: no parent level, the reference region is the whole level", level)
        else:
            reference = parent_id
    id_columns = [c for c in ["unit_id", "name"] + [c for c in zonal.columns if c.endswith("_id") and c != "unit_id"]
                  if c in base.columns]
    budget = budget_table(base, schemes, reference, id_columns)
    comp_cfg = dict(cfg.get("compensation") or {})
    base_year = int(comp_cfg.pop("base_year", None) or min(years))
    comp = compensation_table(budget, base, CompensationParams.from_config(comp_cfg), base_year, id_columns)
    periods = cfg.get("lmdi", {}).get("periods") or [[min(years), max(years)]]
    lmdi = lmdi_level_table(base, [tuple(p) for p in periods], id_columns)
    zones = {n: budget[f"zone_{n}"].value_counts().to_dict() for n in schemes}
    record = {"emission_source": cfg.get("emission_source", "grid"),
              "sequestration_source": cfg.get("sequestration_source", "casa"),
              "reference": reference or "level", "zones": zones, "lmdi_periods": periods,
              "compensation_base_year": base_year,
              "units_with_notes": int((budget["note"] != "").sum()),
              "lmdi_not_decomposable": int((lmdi["reason"] != "").sum())}
    return {"budget": budget, "compensation": comp, "lmdi": lmdi, "record": record}

