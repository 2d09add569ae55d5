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

from carbonbalance.core.constants import C_TO_CO2
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.ingest.params import StatisticsParams, StatisticsPlausibility

log = logging.getLogger(__name__)

#: canonical variable -> (canonical unit, {accepted unit: factor to canonical})
CANONICAL = {
    "co2_tco2": ("t CO2", {"t CO2": 1.0, "10^4 t CO2": 1e4, "Mt CO2": 1e6}),
    "gdp_1e4yuan": ("10^4 yuan", {"10^4 yuan": 1.0, "10^8 yuan": 1e4, "yuan": 1e-4}),
    "population_persons": ("persons", {"persons": 1.0, "10^4 persons": 1e4}),
    "energy_tce": (
        "t standard coal",
        {"t standard coal": 1.0, "tce": 1.0, "10^4 t standard coal": 1e4, "10^4 tce": 1e4},
    ),
    "engel_coefficient": ("1", {"1": 1.0, "%": 0.01}),
    "secondary_share": ("1", {"1": 1.0, "%": 0.01}),
    "energy_efficiency_1e4yuan_per_tce": (
        "10^4 yuan per t standard coal",
        {"10^4 yuan per t standard coal": 1.0, "10^4 yuan per tce": 1.0},
    ),
    "thermal_power_share": ("1", {"1": 1.0, "%": 0.01}),
    "urbanisation_rate": ("1", {"1": 1.0, "%": 0.01}),
}

#: carbon (C) is never silently taken for CO2: a C column is converted explicitly.
_CARBON_UNITS = {"t C": 1.0, "Mt C": 1e6}

NON_NEGATIVE = ("co2_tco2", "gdp_1e4yuan", "population_persons", "energy_tce")

#: what a missing value of a variable leaves undefined
USES = {
    "co2_tco2": "the emission totals (emissions.total_variable) and tables.emission_source: statistics",
    "gdp_1e4yuan": "ECC, the compensation, the LMDI and GDP covariates of these unit-years",
    "population_persons": "the energy accounting's respiration, the LMDI and per-capita covariates",
    "energy_tce": "the energy accounting (Jiangxi2024) of these unit-years",
    "engel_coefficient": "gamma of the compensation",
}
#: plausible ratios of every unit-year (ranges: :class:`~carbonbalance.ingest.params.StatisticsPlausibility`)
PLAUSIBLE_RATIOS = {
    "co2_t_per_person": ("co2_tco2", "population_persons"),
    "co2_t_per_1e4yuan": ("co2_tco2", "gdp_1e4yuan"),
}


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
    raise ConfigError(
        f"statistics.columns.{name}.units: unknown unit {units!r}; "
        f"expected one of {sorted(table)}" + (f" or {sorted(_CARBON_UNITS)}" if name == "co2_tco2" else "")
    )


def read_statistics(cfg: dict | StatisticsParams, units: pd.DataFrame) -> pd.DataFrame:
    """Read, convert and validate the statistics table.

    Parameters
    ----------
    cfg : the ``statistics`` config section.
    units : :func:`carbonbalance.ingest.boundaries.unit_table` of the boundaries; every unit id
        in the table must be one of them (at any level).

    Returns
    -------
    DataFrame with ``unit_id``, ``level``, ``year`` and one column per configured
    canonical variable, in canonical units.
    """
    p = cfg if isinstance(cfg, StatisticsParams) else StatisticsParams.from_config(cfg)
    path = p.path
    ucol, ycol, lcol = p.unit_column, p.year_column, p.level_column
    tokens = list(p.missing_values)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    except FileNotFoundError as exc:
        raise InputError(f"statistics: file not found: {path}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"statistics: {path} is not a readable CSV: {exc}") from exc
    if p.format == "long":
        raw = _long_to_wide(raw, p, path, ucol, ycol, lcol)
    columns = p.columns
    needed = [ucol, ycol] + [spec["column"] for spec in columns.values()]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(
            f"statistics: {path} lacks required column(s) {missing} "
            f"(configured in statistics.columns); it has {list(raw.columns)}"
        )
    out = pd.DataFrame({"unit_id": raw[ucol].astype("string").str.strip()})
    years = pd.to_numeric(raw[ycol], errors="coerce")
    bad = years.isna() | (years != np.round(years))
    if bad.any():
        raise InputError(f"statistics: {path}: column {ycol!r} has non-integer year(s) in CSV row(s) {_rows(bad)}")
    out["year"] = years.astype("int64")
    out["level"] = _levels(raw, out, units, path, ucol, lcol)
    dup = out.duplicated(["unit_id", "level", "year"], keep=False)
    if dup.any():
        raise InputError(f"statistics: {path}: duplicate unit/year rows at CSV row(s) {_rows(dup)}")
    missing_cells = []
    for name, spec in columns.items():
        col = spec["column"]
        text = raw[col].fillna("").astype(str).str.strip()
        missing = text.isin(tokens)
        vals = pd.to_numeric(text.where(~missing), errors="coerce")
        nonnum = vals.isna() & ~missing
        if nonnum.any():
            raise InputError(
                f"statistics: {path}: column {col!r} ({name}) has non-numeric value(s) "
                f"{sorted(set(text[nonnum]))[:5]} at CSV row(s) {_rows(nonnum)}; declare missing-value "
                f"tokens in statistics.missing_values"
            )
        for i in np.flatnonzero(missing.to_numpy()):
            missing_cells.append(
                {
                    "column": col,
                    "variable": name,
                    "csv_row": int(i) + 2,
                    "unit_id": str(out["unit_id"].iloc[i]),
                    "year": int(out["year"].iloc[i]),
                    "read": text.iloc[i],
                }
            )
        vals = vals * _factor(name, str(spec.get("units", "")))
        if name in NON_NEGATIVE and (vals < 0).any():
            raise InputError(f"statistics: {path}: column {col!r} ({name}) is negative at CSV row(s) {_rows(vals < 0)}")
        out[name] = vals.astype("float64")
    _report_missing(missing_cells, path)
    check_ratios(out, p.plausibility, path)
    out.attrs["missing_cells"] = missing_cells
    return out


def _levels(raw, out, units, path, ucol, lcol) -> pd.Series:
    """The boundaries level of every row: stated in ``level_column``, or that of its id
    (an id used at two levels then needs the level column)."""
    by_id = units.groupby("unit_id")["level"].agg(list)
    known = out["unit_id"].isin(by_id.index)
    if not known.all():
        ids = sorted(set(out.loc[~known, "unit_id"].astype(str)))
        raise InputError(
            f"statistics: {path}: unit id(s) {ids[:10]} in column {ucol!r} (CSV row(s) "
            f"{_rows(~known)}) are not in the boundaries at any level"
        )
    if lcol:
        if lcol not in raw.columns:
            raise InputError(f"statistics: {path} has no column {lcol!r} (statistics.level_column)")
        level = raw[lcol].astype("string").str.strip()
        levels = set(units["level"])
        bad = ~level.isin(levels)
        if bad.any():
            raise InputError(
                f"statistics: {path}: column {lcol!r} has level(s) {sorted(set(level[bad].astype(str)))}"
                f" at CSV row(s) {_rows(bad)}; the boundaries levels are {sorted(levels)}"
            )
        at = pd.Series([lv in by_id[u] for u, lv in zip(out["unit_id"], level)], index=out.index)
        if not at.all():
            rows = [(u, lv) for u, lv in zip(out.loc[~at, "unit_id"], level[~at])][:10]
            raise InputError(
                f"statistics: {path}: (unit id, level) {rows} at CSV row(s) {_rows(~at)} are not "
                f"units of that level in the boundaries"
            )
        return level
    shared = by_id[by_id.str.len() > 1]
    used = out["unit_id"].isin(shared.index)
    if used.any():
        u = out.loc[used, "unit_id"].iloc[0]
        raise InputError(
            f"statistics: {path}: unit id {u!r} is used at several boundaries levels "
            f"({shared[u]}), so its rows (CSV row(s) {_rows(used)}) do not say which they are; add "
            f"a column with the level of each row and name it in statistics.level_column"
        )
    return out["unit_id"].map(by_id.str[0]).astype("string")


def _report_missing(cells: list[dict], path) -> None:
    """Log every cell read as missing, grouped by variable, with what it leaves undefined."""
    by_var: dict = {}
    for c in cells:
        by_var.setdefault(c["variable"], []).append(c)
    for var, cs in by_var.items():
        where = ", ".join(f"row {c['csv_row']} ({c['unit_id']} {c['year']}: {c['read']!r})" for c in cs[:10])
        more = f" and {len(cs) - 10} more" if len(cs) > 10 else ""
        use = USES.get(var, "the analyses that use this variable")
        log.warning(
            "statistics: %s: %d cell(s) of %s read as missing: %s%s; this leaves %s undefined",
            path,
            len(cs),
            var,
            where,
            more,
            use,
        )


def check_ratios(table: pd.DataFrame, plausible: StatisticsPlausibility, path) -> None:
    """Per-capita CO2 and CO2 per GDP of every unit-year within their plausible ranges
    (``statistics.plausibility``): a unit declared wrongly (t as Mt) stops the run."""
    for key, (num, den) in PLAUSIBLE_RATIOS.items():
        if num not in table.columns or den not in table.columns:
            continue
        lo, hi = (float(v) for v in getattr(plausible, key))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = table[num] / table[den]
        ok = table[den] > 0
        bad = ok & ((ratio < lo) | (ratio > hi))
        if bad.any():
            rows = [
                (str(u), str(lv), int(y), float(f"{r:.4g}"))
                for u, lv, y, r in zip(
                    table.loc[bad, "unit_id"], table.loc[bad, "level"], table.loc[bad, "year"], ratio[bad]
                )
            ][:10]
            raise InputError(
                f"statistics: {path}: {num}/{den} ({key}) of {int(bad.sum())} unit-year(s) lies outside "
                f"the plausible range [{lo:g}, {hi:g}]: (unit, level, year, value) {rows}. Check the "
                f"units declared in statistics.columns.{num}.units and .{den}.units; if the values are "
                f"right, widen statistics.plausibility.{key}"
            )


def _rows(mask: pd.Series) -> list[int]:
    """CSV line numbers (header = line 1) of the first flagged rows."""
    return [int(i) + 2 for i in np.flatnonzero(np.asarray(mask))[:10]]


def _long_to_wide(raw, p: StatisticsParams, path, ucol, ycol, lcol=None):
    vcol, valcol = p.variable_column, p.value_column
    keys = [ucol, ycol] + ([lcol] if lcol else [])
    missing = [c for c in keys + [vcol, valcol] if c not in raw.columns]
    if missing:
        raise InputError(f"statistics: {path} (long format) lacks column(s) {missing}")
    dup = raw.duplicated(keys + [vcol], keep=False)
    if dup.any():
        raise InputError(f"statistics: {path}: duplicate unit/year/variable rows at CSV row(s) {_rows(dup)}")
    wide = raw.pivot(index=keys, columns=vcol, values=valcol).reset_index()
    return wide.fillna("")
