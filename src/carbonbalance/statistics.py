"""The yearbook statistics table (SPEC §1): read, convert units, validate.

Config maps each canonical variable (unit in its name) to a CSV column and the unit
that column is in, e.g.::

    statistics:
      path: data/stats.csv
      unit_column: unit_id
      year_column: year
      columns:
        co2_tco2: {column: co2, units: "Mt CO2"}

The result is a wide table with one row per unit and year and canonical columns.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carbonbalance.errors import ConfigError, InputError

log = logging.getLogger(__name__)

#: canonical variable -> (canonical unit, {accepted unit: factor to canonical})
CANONICAL = {
    "co2_tco2": ("t CO2", {"t CO2": 1.0, "10^4 t CO2": 1e4, "Mt CO2": 1e6}),
    "gdp_1e4yuan": ("10^4 yuan", {"10^4 yuan": 1.0, "10^8 yuan": 1e4, "yuan": 1e-4}),
    "population_persons": ("persons", {"persons": 1.0, "10^4 persons": 1e4}),
    "energy_tce": ("t standard coal", {"t standard coal": 1.0, "tce": 1.0,
                                       "10^4 t standard coal": 1e4, "10^4 tce": 1e4}),
    "engel_coefficient": ("1", {"1": 1.0, "%": 0.01}),
    "secondary_share": ("1", {"1": 1.0, "%": 0.01}),
    "energy_efficiency_1e4yuan_per_tce": ("10^4 yuan per t standard coal",
                                          {"10^4 yuan per t standard coal": 1.0,
                                           "10^4 yuan per tce": 1.0}),
    "thermal_power_share": ("1", {"1": 1.0, "%": 0.01}),
    "urbanisation_rate": ("1", {"1": 1.0, "%": 0.01}),
}

#: carbon (C) is never silently taken for CO2: a C column is converted explicitly.
C_TO_CO2 = 44.0 / 12.0
_CARBON_UNITS = {"t C": 1.0, "Mt C": 1e6}

NON_NEGATIVE = ("co2_tco2", "gdp_1e4yuan", "population_persons", "energy_tce")


def _factor(name: str, units: str) -> float:
    if name not in CANONICAL:
        # user-defined covariate: kept as given, unit recorded
        return 1.0
    canon, table = CANONICAL[name]
    if units in table:
        return table[units]
    if name == "co2_tco2" and units in _CARBON_UNITS:
        log.warning("statistics: co2_tco2 given in %r: converting carbon to CO2 with 44/12", units)
        return _CARBON_UNITS[units] * C_TO_CO2
    raise ConfigError(f"statistics.columns.{name}.units: unknown unit {units!r}; "
                      f"expected one of {sorted(table)}" + (f" or {sorted(_CARBON_UNITS)}"
                                                            if name == "co2_tco2" else ""))


def read_statistics(cfg: dict, units: pd.DataFrame) -> pd.DataFrame:
    """Read, convert and validate the statistics table.

    Parameters
    ----------
    cfg : the ``statistics`` config section.
    units : :func:`carbonbalance.boundaries.unit_table` of the boundaries; every unit id
        in the table must be one of them (at any level).

    Returns
    -------
    DataFrame with ``unit_id``, ``level``, ``year`` and one column per configured
    canonical variable, in canonical units.
    """
    path = cfg["path"]
    ucol, ycol = cfg.get("unit_column", "unit_id"), cfg.get("year_column", "year")
    try:
        raw = pd.read_csv(path, dtype={ucol: "string"})
    except FileNotFoundError as exc:
        raise InputError(f"statistics: file not found: {path}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"statistics: {path} is not a readable CSV: {exc}") from exc
    if cfg.get("format", "wide") == "long":
        raw = _long_to_wide(raw, cfg, path, ucol, ycol)
    columns = cfg.get("columns", {})
    needed = [ucol, ycol] + [spec["column"] for spec in columns.values()]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(f"statistics: {path} lacks required column(s) {missing} "
                         f"(configured in statistics.columns); it has {list(raw.columns)}")
    out = pd.DataFrame({"unit_id": raw[ucol].astype("string").str.strip()})
    years = pd.to_numeric(raw[ycol], errors="coerce")
    bad = years.isna() | (years != np.round(years))
    if bad.any():
        raise InputError(f"statistics: {path}: column {ycol!r} has non-integer year(s) in CSV "
                         f"row(s) {_rows(bad)}")
    out["year"] = years.astype("int64")
    known = set(units["unit_id"])
    unknown = ~out["unit_id"].isin(known)
    if unknown.any():
        ids = sorted(set(out.loc[unknown, "unit_id"].astype(str)))
        raise InputError(f"statistics: {path}: unit id(s) {ids[:10]} in column {ucol!r} (CSV row(s) "
                         f"{_rows(unknown)}) are not in the boundaries at any level")
    level_of = units.drop_duplicates("unit_id").set_index("unit_id")["level"]
    out["level"] = out["unit_id"].map(level_of).astype("string")
    dup = out.duplicated(["unit_id", "year"], keep=False)
    if dup.any():
        raise InputError(f"statistics: {path}: duplicate unit/year rows at CSV row(s) {_rows(dup)}")
    for name, spec in columns.items():
        col = spec["column"]
        vals = pd.to_numeric(raw[col], errors="coerce")
        nonnum = vals.isna() & raw[col].notna()
        if nonnum.any():
            raise InputError(f"statistics: {path}: column {col!r} ({name}) has non-numeric value(s) "
                             f"at CSV row(s) {_rows(nonnum)}")
        vals = vals * _factor(name, str(spec.get("units", "")))
        if name in NON_NEGATIVE and (vals < 0).any():
            raise InputError(f"statistics: {path}: column {col!r} ({name}) is negative at CSV "
                             f"row(s) {_rows(vals < 0)}")
        out[name] = vals.astype("float64")
    return out


def _rows(mask: pd.Series) -> list[int]:
    """CSV line numbers (header = line 1) of the first flagged rows."""
    return [int(i) + 2 for i in np.flatnonzero(np.asarray(mask))[:10]]


def _long_to_wide(raw, cfg, path, ucol, ycol):
    vcol, valcol = cfg.get("variable_column", "variable"), cfg.get("value_column", "value")
    missing = [c for c in (ucol, ycol, vcol, valcol) if c not in raw.columns]
    if missing:
        raise InputError(f"statistics: {path} (long format) lacks column(s) {missing}")
    dup = raw.duplicated([ucol, ycol, vcol], keep=False)
    if dup.any():
        raise InputError(f"statistics: {path}: duplicate unit/year/variable rows at CSV row(s) {_rows(dup)}")
    return raw.pivot(index=[ucol, ycol], columns=vcol, values=valcol).reset_index()
