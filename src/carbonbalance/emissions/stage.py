"""Emission downscaling to the grid (SPEC §4): totals, category shares, the stage driver.

Regional totals (e.g. provincial CO2 in t CO2 from the statistics table) are allocated
to the 1 km cells of each unit by :mod:`carbonbalance.emissions.allocation`:

- ``nightlight`` (Peng2023): ``C_r = C_c · DN_r / Σ_{r∈c} DN_r``;
- ``multisource`` (Zhu2026): the total is split by category shares into urban,
  industrial and rural parts; urban and industrial parts go by night light to the cells
  of their land-use category, the rural part by population to rural cells.

Fallbacks when a unit's (category's) weights sum to zero follow the configured chains
(light → population → area by default), logged and counted in the record.
"""

from __future__ import annotations

import contextlib
import functools
import logging

import numpy as np
import pandas as pd

from carbonbalance.core.classes import class_lookup, classify
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import GeoTiffBlockWriter, atomic_output, open_store, to_cog
from carbonbalance.emissions.allocation import Allocation
from carbonbalance.emissions.params import CATEGORIES, LAYERS, UNITS, EmissionParams, check_shares
from carbonbalance.errors import ConfigError, InputError

log = logging.getLogger(__name__)


def unit_totals(
    stats: pd.DataFrame,
    level_ids: list[str],
    level: str,
    variable: str,
    year: int,
    complete: bool = True,
    source: str = "statistics",
) -> np.ndarray:
    """Totals of ``variable`` for the units ``level_ids`` of ``level`` in ``year`` (NaN = none).

    Errors name the unit: a total for a unit that is not in the boundaries at this level,
    a unit without a total when ``complete``, a negative total, duplicate rows.
    """
    if variable not in stats.columns:
        raise InputError(
            f"{source}: no column {variable!r} for the emission totals "
            f"(columns: {list(stats.columns)}); add it to statistics.columns"
        )
    rows = stats[(stats["level"] == level) & (stats["year"] == int(year))]
    ids = rows["unit_id"].astype(str)
    known = set(level_ids)
    unknown = sorted(set(ids) - known)
    if unknown:
        raise InputError(
            f"{source}: {variable} {year} given for {level} unit(s) {unknown[:10]} that are not in "
            f"the boundaries (known {level}s: {sorted(known)[:10]}{' ...' if len(known) > 10 else ''})"
        )
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        raise InputError(f"{source}: more than one {variable} {year} row for {level} unit(s) {dup[:10]}")
    values = pd.Series(rows[variable].to_numpy(dtype="float64"), index=ids.to_numpy())
    totals = values.reindex(level_ids).to_numpy(dtype="float64")
    neg = np.flatnonzero(totals < 0)
    if neg.size:
        raise InputError(
            f"{source}: negative {variable} {year} for {level} unit(s) "
            + ", ".join(f"{level_ids[u]} ({totals[u]:g})" for u in neg[:10])
        )
    missing = [level_ids[u] for u in np.flatnonzero(~np.isfinite(totals))]
    if missing and complete:
        raise InputError(
            f"{source}: no {variable} {year} for {level} unit(s) {missing[:10]}"
            f"{f' and {len(missing) - 10} more' if len(missing) > 10 else ''}; "
            f"complete them or set emissions.totals_complete: false to leave them empty"
        )
    if missing:
        log.warning(
            "no %s %s for %d %s unit(s) %s: nothing allocated there", variable, year, len(missing), level, missing[:10]
        )
    return totals


def category_totals(
    params: EmissionParams, totals: np.ndarray, stats: pd.DataFrame | None, level_ids: list[str], year: int
) -> np.ndarray:
    """(n_units, n_categories) totals: the unit totals times the category shares."""
    if params.method == "nightlight":
        return totals[:, None]
    if params.shares.source == "config":
        shares = np.tile([params.shares.values[k] for k in CATEGORIES], (len(level_ids), 1))
    else:
        cols = [params.shares.columns[k] for k in CATEGORIES]
        missing = [c for c in cols if c not in stats.columns]
        if missing:
            raise InputError(
                f"statistics: no share column(s) {missing} (emissions.shares.columns); "
                f'add them to statistics.columns with units "1"'
            )
        rows = stats[(stats["level"] == params.totals_level) & (stats["year"] == int(year))]
        table = rows.set_index(rows["unit_id"].astype(str))[cols].reindex(level_ids)
        shares = table.to_numpy(dtype="float64")
        has = np.isfinite(totals)
        check_shares(shares[has], [f"unit {u} {year}" for u, h in zip(level_ids, has) if h], params.shares.tolerance)
    return totals[:, None] * shares


def landuse_categories(classes: dict):
    """(codes, indices) of the land-use -> emission category mapping (``landuse_classes``)."""
    return class_lookup(classes, CATEGORIES, "landuse_classes")


def category_raster(landuse, codes: np.ndarray, idx: np.ndarray):
    """Lazy int8 category index per cell (-1 none or no data) from a land-use dask array."""

    return landuse.map_blocks(functools.partial(_category_block, codes=codes, idx=idx), dtype="int8")


def _category_block(a, *, codes, idx) -> np.ndarray:
    """Category indices of one block (a module-level function: graphs go to distributed workers)."""
    c = classify(a, codes, idx, "landuse", "landuse_classes")
    c[c < -1] = -1
    return c


def _open_layer(path, var: str, grid: GridSpec, chunk: int):
    ds = open_store(path)
    if var not in ds:
        raise InputError(f"{path}: no variable {var!r} (found {list(ds.data_vars)})")
    a = ds[var]
    if a.shape != grid.shape:
        raise InputError(f"{path}: {var} has grid shape {a.shape}, the run's grid is {grid.shape}")
    if var == "population" and a.attrs.get("units") != "persons":
        raise InputError(f"{path}: population has units {a.attrs.get('units')!r}, the allocation needs persons")
    if var == "cell_area_m2" and a.attrs.get("units") not in (None, "m2", "m^2"):
        raise InputError(f"{path}: cell_area_m2 has units {a.attrs.get('units')!r}, expected m2")
    return a.data.rechunk((chunk, chunk))


def run_emissions_year(
    paths: dict,
    grid: GridSpec,
    params: EmissionParams,
    stats: pd.DataFrame,
    units: pd.DataFrame,
    assignment_path,
    year: int,
    outputs: dict,
    mode: str = "exact",
    landuse_classes: dict | None = None,
    threads: int = 1,
) -> dict:
    """Allocate one year's totals to the grid, write the COGs and the per-unit table atomically.

    paths : {"light", "population", "area", "landuse" (multisource)}: aligned store paths
    units : the finest-level table with every level's id column (units.gpkg attributes)
    assignment_path : the run's unit assignment store (rule unit_assignment), used in ``mode``
    outputs : {"total": COG path} and for multisource {"urban", "industrial", "rural"}, and
              {"units": parquet path}: what was placed in every finest unit, t CO2
    Returns the provenance record.
    """
    from carbonbalance.core.assignment import level_lookup, read_coverage

    cov = read_coverage(assignment_path)
    if cov.shape != grid.shape:
        raise InputError(f"{assignment_path}: assignment grid {cov.shape} differs from the run's grid {grid.shape}")
    finest_ids = [str(i) for i in cov.unit_ids]
    level_id = _level_id(params.totals_level, cov.attrs)
    lookup, level_ids = level_lookup(units, cov.attrs["level_id"], level_id, finest_ids)
    totals = unit_totals(
        stats, level_ids, params.totals_level, params.total_variable, year, complete=params.totals_complete
    )
    T = category_totals(params, totals, stats, level_ids, year)
    chunk = max(grid.chunk, params.chunk // grid.chunk * grid.chunk)
    layers = {
        name: _open_layer(paths[name], LAYERS[name], grid, chunk)
        for name in {n for chain in params.chains for n in chain}
    }
    cats = None
    if params.method == "multisource":
        codes, idx = landuse_categories(landuse_classes or {})
        cats = category_raster(_open_layer(paths["landuse"], "landuse", grid, chunk), codes, idx)
    alloc = Allocation(
        cov.labels(mode),
        layers,
        params.chains,
        categories=cats,
        unit_names=level_ids,
        category_names=params.category_names,
        chunk=chunk,
        threads=threads,
        empty_category=params.empty_category,
        negative_weights=params.negative_weights,
        lookup=lookup,
        pieces=cov.pieces(mode),
    )
    plan = alloc.plan(T)
    names = params.category_names
    keys = ["total"] + ([] if params.method == "nightlight" else list(CATEGORIES))
    with contextlib.ExitStack() as stack:
        tmp = {k: stack.enter_context(atomic_output(outputs[k])) for k in keys}
        writers = {}
        for k in keys:
            desc = (
                "CO2 emissions allocated from " + f"{params.totals_level} totals ({params.method})"
                if k == "total"
                else f"{k} CO2 emissions ({params.method}, Zhu2026 categories)"
            )
            writers[k] = GeoTiffBlockWriter(
                tmp[k].parent / f"{k}.stage.tif",
                grid,
                dtype="float64",
                nodata=None,
                tags={
                    "units": UNITS,
                    "year": year,
                    "long_name": desc,
                    "method": params.method,
                    "totals_level": params.totals_level,
                    "assignment": mode,
                },
                description=desc,
            )

        def sink(rows, cols, values):
            total = values[0] if len(values) == 1 else values.sum(axis=0)
            blocks = {"total": total} | {k: values[i] for i, k in enumerate(names) if k in writers and k != "total"}
            for k, b in blocks.items():
                writers[k][rows, cols] = b

        try:
            finest_sums = alloc.fill_blocks(plan, sink=sink, label=f"emissions {year}")
        finally:
            for w in writers.values():
                w.close()
        for k in keys:
            to_cog(tmp[k].parent / f"{k}.stage.tif", tmp[k], threads=threads)
    table = unit_table(finest_sums, finest_ids, names, year)
    with atomic_output(outputs["units"]) as t:
        table.to_parquet(t, index=False)
    unit_sums = np.stack([np.bincount(lookup, weights=s, minlength=len(level_ids)) for s in finest_sums])
    return _record(params, plan.record, T, unit_sums, level_ids, year, mode)


def unit_table(finest_sums: np.ndarray, finest_ids: list[str], category_names: list[str], year: int) -> pd.DataFrame:
    """What the allocation placed in every finest unit: ``emissions_tco2`` and, with
    categories, ``emissions_<category>_tco2`` (t CO2; aggregated per unit from the allocation
    itself, so that the units of the totals get them back exactly)."""
    table = pd.DataFrame({"unit_id": finest_ids, "year": int(year)})
    table["emissions_tco2"] = finest_sums.sum(axis=0)
    if category_names != ["total"]:
        for k, name in enumerate(category_names):
            table[f"emissions_{name}_tco2"] = finest_sums[k]
    return table


def _level_id(level: str, attrs: dict) -> str:
    levels = dict(attrs.get("levels", {}))
    if level not in levels:
        raise ConfigError(f"emissions.totals_level: {level!r} is not a boundaries level ({list(levels)})")
    return levels[level]


def _record(
    params: EmissionParams,
    alloc_record: dict,
    T: np.ndarray,
    unit_sums: np.ndarray,
    level_ids: list[str],
    year: int,
    mode: str,
) -> dict:
    has = np.isfinite(T) & (T > 0)
    rel = np.zeros_like(T)
    rel[has] = np.abs(unit_sums.T[has] - T[has]) / T[has]
    rec = {
        "year": int(year),
        "method": params.method,
        "totals_level": params.totals_level,
        "assignment": mode,
        "total_variable": params.total_variable,
        "units": UNITS,
        "chains": alloc_record["chains"],
        "weight_used": alloc_record["weight_used"],
        "n_units": len(level_ids),
        "n_units_with_total": alloc_record["n_units_with_total"],
        "units_without_total": [u for u, t in zip(level_ids, np.isfinite(T).all(axis=1)) if not t],
        "fallback_units": alloc_record["fallback_units"],
        "n_fallback_units": alloc_record["n_fallback_units"],
        "negative_weights_zeroed": alloc_record["negative_weights_zeroed"],
        "total_tco2": float(np.nansum(T)),
        "allocated_tco2": float(unit_sums.sum()),
        "max_relative_error_of_unit_sums": float(rel.max()) if rel.size else 0.0,
        "cells_outside_units": alloc_record["cells_outside_units"],
    }
    if params.method == "multisource":
        rec["shares_source"] = params.shares.source
        rec["allocated_by_category_tco2"] = {k: float(unit_sums[i].sum()) for i, k in enumerate(CATEGORIES)}
    log.info(
        "emissions %s: %.6g t CO2 allocated of %.6g (worst unit error %.1e), %d fallback unit(s)",
        year,
        rec["allocated_tco2"],
        rec["total_tco2"],
        rec["max_relative_error_of_unit_sums"],
        rec["n_fallback_units"],
    )
    return rec


def run_inventory_year(spec, year: int, grid: GridSpec, units_path, id_column: str, out_path) -> dict:
    """The gridded inventory of ``year`` per finest unit (rule ``emission_inventory``):
    ``unit_id``, ``year``, ``inventory_tco2`` to ``out_path``; returns the record."""
    import geopandas as gpd

    from carbonbalance.emissions.inventory import inventory_year
    from carbonbalance.ingest.sources import resolve_sources

    (source,) = resolve_sources(spec, year, grid)
    table, record = inventory_year(spec, source, year, gpd.read_file(units_path), id_column)
    with atomic_output(out_path) as tmp:
        table.to_parquet(tmp, index=False)
    log.info(
        "inventory %d: %.6g t CO2 over %d units (region total %.6g, relative difference %.2g)",
        year,
        record["sum_of_units_tco2"],
        len(table),
        record["region_total_tco2"],
        record["relative_difference"],
    )
    return record | {"source": {k: v for k, v in source.items() if k != "attributes"}}
