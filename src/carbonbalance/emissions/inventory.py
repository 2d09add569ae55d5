"""Gridded emission inventories (MEIC, EDGAR, ODIAC, ...) regridded to the finest units
(SPEC §4, ``tables.emission_source: inventory``).

An inventory stays at its own resolution and CRS: each of its cells is split between the
units that cover it by the exact covered fraction (``exactextract``, in the inventory's
CRS), so that a unit gets ``Σ_c m_c · f_{c,u}`` with m_c the cell's mass in t CO2 per year
(:func:`carbonbalance.ingest.units.inventory_to_tco2`: masses per cell, or fluxes times the
cell area and the seconds or days of the year; carbon × 44/12).  The units' sum is the
inventory's total over the region — checked against the covered fractions of the
dissolved region to 1e-9 — and nothing is resampled on the way (a 0.25° cell is not
smeared onto a 1 km grid first).  Coarser levels are sums of the finest units, as for
every other zonal column.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from rasterio.windows import Window, from_bounds

from carbonbalance.core.assignment import repaired, wkb_features
from carbonbalance.core.grid import raster_cell_area_m2
from carbonbalance.errors import InputError
from carbonbalance.ingest.align import decode
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.sources import open_reader
from carbonbalance.ingest.units import inventory_to_tco2

log = logging.getLogger(__name__)


def _coverage(values: np.ndarray, transform, crs_wkt: str, gdf, id_column: str) -> list[np.ndarray]:
    """Per feature of ``gdf``: (cell index, covered fraction) pairs on the raster."""
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    ny, nx = values.shape
    xmin, ymax = transform.c, transform.f
    xmax, ymin = xmin + nx * transform.a, ymax + ny * transform.e
    src = NumPyRasterSource(np.zeros(values.shape, dtype="uint8"), xmin, ymin, xmax, ymax, srs_wkt=crs_wkt)
    res = exact_extract(src, wkb_features(gdf, id_column), ["cell_id", "coverage"], output="pandas")
    return [
        (np.asarray(c, dtype="int64"), np.asarray(f, dtype="float64")) for c, f in zip(res["cell_id"], res["coverage"])
    ]


def regrid_to_units(tco2: np.ndarray, transform, crs, gdf, id_column: str) -> tuple[np.ndarray, dict]:
    """Masses (t CO2 per cell, NaN = none) → t CO2 per feature of ``gdf`` by exact coverage.

    The units are reprojected to the inventory's CRS, where edges that were straight bend
    differently on either side of a vertex only one unit has: the units then overlap by
    slivers (and gaps).  The units' fractions of each cell are scaled to add up to the
    dissolved region's, so that every cell's mass inside the region is split between the
    units that cover it and the units' sum is the region's total (to rounding).  Returns the
    per-unit sums and a record (region total, units' sum, their relative difference, the
    largest sliver correction).
    """
    from pyproj import CRS

    wkt = CRS.from_user_input(crs).to_wkt()
    units = gdf.to_crs(crs)
    flat = np.nan_to_num(np.asarray(tco2, dtype="float64"), nan=0.0).ravel()
    pairs = _coverage(tco2, transform, wkt, units, id_column)
    region = units[[id_column, "geometry"]].dissolve().assign(**{id_column: "region"})
    ((rc, rf),) = _coverage(tco2, transform, wkt, region, id_column)
    union = np.zeros(flat.size)
    np.add.at(union, rc, rf)
    summed = np.zeros(flat.size)
    for c, f in pairs:
        np.add.at(summed, c, f)
    scale = np.where(summed > 0, union / np.where(summed > 0, summed, 1.0), 1.0)
    per_unit = np.array([float(np.dot(flat[c] * scale[c], f)) for c, f in pairs])
    region_total = float(np.dot(flat[rc], rf))
    total = float(per_unit.sum())
    rel = abs(total - region_total) / abs(region_total) if region_total else 0.0
    record = {
        "region_total_tco2": region_total,
        "sum_of_units_tco2": total,
        "relative_difference": rel,
        "largest_sliver_correction": float(np.abs(scale - 1.0).max()) if scale.size else 0.0,
        "inventory_total_in_window_tco2": float(flat.sum()),
    }
    return per_unit, record


def inventory_year(spec: RasterInput, source: dict, year: int, gdf, id_column: str) -> tuple[pd.DataFrame, dict]:
    """t CO2 of ``year`` per finest unit from one resolved inventory source
    (:func:`carbonbalance.ingest.sources.resolve_sources`)."""
    gdf = repaired(gdf, id_column)
    at = f"inventory: {source['path']} ({year})"
    with open_reader(source["files"], source["variable"], source["band"], at, crs=source["crs"]) as r:
        bounds = gdf.to_crs(r.crs).total_bounds
        w = from_bounds(*bounds, transform=r.transform)
        c0, r0 = max(int(math.floor(w.col_off)) - 1, 0), max(int(math.floor(w.row_off)) - 1, 0)
        c1 = min(int(math.ceil(w.col_off + w.width)) + 1, r.width)
        r1 = min(int(math.ceil(w.row_off + w.height)) + 1, r.height)
        if c1 <= c0 or r1 <= r0:
            raise InputError(f"{at}: the inventory does not cover the units")
        win = Window(c0, r0, c1 - c0, r1 - r0)
        raw = r.read(win)
        transform, crs = r.window_transform(win), r.crs
    vals, n_fill, n_oor = decode(raw, source)
    if raw.size and n_oor / raw.size > spec.max_invalid_share:
        raise InputError(
            f"{at}: {n_oor} of {raw.size} cells are outside the valid range {source['valid_range']}; the limit is "
            f"inputs.inventory.max_invalid_share = {spec.max_invalid_share}"
        )
    if np.nanmin(vals, initial=0.0) < 0:
        raise InputError(f"{at}: negative emissions ({np.nanmin(vals):g} {source['units']}); check scale and fill")
    area = raster_cell_area_m2(transform, vals.shape, crs)
    tco2 = inventory_to_tco2(vals, source["units"], area, year)
    per_unit, record = regrid_to_units(tco2, transform, crs, gdf, id_column)
    if record["relative_difference"] > 1e-9:
        raise InputError(
            f"{at}: the units' sum {record['sum_of_units_tco2']:.12g} t CO2 differs from the region's total "
            f"{record['region_total_tco2']:.12g} by {record['relative_difference']:.2g}"
        )
    table = pd.DataFrame({"unit_id": gdf[id_column].astype(str).to_numpy(), "year": int(year),
                          "inventory_tco2": per_unit})  # fmt: skip
    record |= {"units": source["units"], "cells_without_data": n_fill, "cells_read": int(raw.size)}
    return table, record
