"""Unit label rasters: which unit each grid cell belongs to (SPEC §4, §5).

The finest level (e.g. counties) is rasterised once by cell centre; coarser levels
are looked up from it through the hierarchy, so that they nest exactly (every cell of
a county is in that county's city and province).  A unit too small to contain any cell
centre (a small urban district on a 1 km grid) gets the cell under its representative
point, taken from the unit that held it, so that every unit inside the grid has a cell
and its totals can be placed; such units are listed in the record.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carbonbalance.errors import InputError
from carbonbalance.grid import GridSpec

log = logging.getLogger(__name__)

NO_UNIT = -1


def label_dtype(n_units: int):
    """int16 up to 32 766 units (all counties of China fit), else int32."""
    return np.dtype("int16") if n_units < np.iinfo("int16").max else np.dtype("int32")


def rasterize_units(gdf, grid: GridSpec, id_column: str) -> tuple[np.ndarray, list[str], dict]:
    """Cell-centre labels of the finest units: (labels, ids, record).

    labels (ny, nx) int16/int32: index into ``ids`` (in the order of ``gdf``), -1 outside.
    """
    from rasterio.features import rasterize
    from rasterio.transform import rowcol

    if gdf.crs is not None and not gdf.crs.equals(grid.pyproj_crs):
        gdf = gdf.to_crs(grid.crs)
    ids = [str(i) for i in gdf[id_column]]
    dtype = label_dtype(len(ids))
    labels = rasterize(((geom, k) for k, geom in enumerate(gdf.geometry)), out_shape=grid.shape,
                       transform=grid.transform, fill=NO_UNIT, all_touched=False, dtype="int32")
    labels = labels.astype(dtype)
    counts = np.bincount(labels[labels >= 0].astype("int64"), minlength=len(ids))
    at_point, outside = {}, []
    for k in np.flatnonzero(counts == 0):
        pt = gdf.geometry.iloc[k].representative_point()
        r, c = rowcol(grid.transform, pt.x, pt.y)
        if 0 <= r < grid.height and 0 <= c < grid.width:
            previous = int(labels[r, c])
            labels[r, c] = k
            at_point[ids[k]] = {"row": int(r), "col": int(c),
                                "taken_from": ids[previous] if previous >= 0 else None}
        else:
            outside.append(ids[k])
    if at_point:
        log.warning("%d unit(s) contain no cell centre and get the cell under their representative point: %s",
                    len(at_point), sorted(at_point)[:20])
    if outside:
        log.warning("%d unit(s) lie outside the grid and have no cell: %s", len(outside), outside[:20])
    counts = np.bincount(labels[labels >= 0].astype("int64"), minlength=len(ids))
    return labels, ids, {"level_id": id_column, "n_units": len(ids), "cells_inside": int(counts.sum()),
                         "units_at_representative_point": at_point, "units_outside_grid": outside,
                         "min_cells_per_unit": int(counts.min()) if len(ids) else 0}


def level_lookup(finest: pd.DataFrame, finest_id: str, level_id: str,
                 finest_ids: list[str]) -> tuple[np.ndarray, list[str]]:
    """For each finest unit, the index of its unit at the level whose id column is ``level_id``.

    finest : the finest-level table with the id columns of every level (e.g. units.gpkg).
    Returns (lookup int array over ``finest_ids``, sorted ids of the level's units).
    """
    for col in (finest_id, level_id):
        if col not in finest.columns:
            raise InputError(f"units table has no column {col!r} (has {list(finest.columns)})")
    parent = dict(zip(finest[finest_id].astype(str), finest[level_id].astype(str)))
    missing = [i for i in finest_ids if i not in parent]
    if missing:
        raise InputError(f"units {missing[:10]} of the label raster are not in the units table")
    level_ids = sorted({parent[i] for i in finest_ids})
    pos = {u: k for k, u in enumerate(level_ids)}
    return np.array([pos[parent[i]] for i in finest_ids], dtype="int64"), level_ids


def relabel(labels: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """Labels of a coarser level from the finest labels and :func:`level_lookup` (-1 stays -1)."""
    out_dtype = label_dtype(int(lookup.max()) + 1 if lookup.size else 0)
    table = np.append(lookup, NO_UNIT).astype(out_dtype)  # index -1 -> the appended -1
    return table[labels]


def write_unit_labels(gdf, grid: GridSpec, levels: dict, out_path) -> dict:
    """Rasterise the finest level (first of ``levels`` {name: id column}) into a Zarr store.

    The store holds ``unit_index`` (int16/int32, -1 outside) with attributes ``unit_ids``
    (the id of each index), ``level_id`` (their id column) and ``levels``.
    """
    import zarr

    from carbonbalance.store import atomic_output, create_store

    finest_id = next(iter(levels.values()))
    labels, ids, record = rasterize_units(gdf, grid, finest_id)
    with atomic_output(out_path, directory=True) as tmp:
        create_store(tmp, grid, {"unit_index": {"dtype": labels.dtype.name, "fill": NO_UNIT,
                                                "attrs": {"units": "1", "long_name": f"index of the {finest_id} "
                                                          "of each cell (cell centre), -1 outside"}}},
                     attrs={"unit_ids": ids, "level_id": finest_id, "levels": dict(levels)})
        zarr.open_array(str(tmp / "unit_index"), mode="r+")[:] = labels
    record["levels"] = dict(levels)
    return record


def read_unit_labels(path) -> tuple[np.ndarray, dict]:
    """The label raster of :func:`write_unit_labels` (integers, -1 outside) and its attributes."""
    import zarr

    group = zarr.open_group(str(path), mode="r")
    attrs = dict(group.attrs)
    for key in ("unit_ids", "level_id", "levels"):
        if key not in attrs:
            raise InputError(f"{path}: not a unit label store (no attribute {key!r})")
    return np.asarray(group["unit_index"][:]), attrs
