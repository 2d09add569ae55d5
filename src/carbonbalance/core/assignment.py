"""One cell-to-unit assignment for every stage (SPEC §4 "One cell-to-unit assignment", §5).

Which cells (or cell pieces) belong to which finest unit is decided once per boundaries
and grid (rule ``unit_assignment``) and used by the emission allocation, the zonal sums,
the land-use areas of the absorption accounting and everything built on them, so that
an allocated total comes back exactly when it is summed per unit.

Two modes (``zonal.mode``):

- ``exact``: each cell contributes to each unit the share of its area inside it (the
  coverage fraction f of ``exactextract``).  Cells wholly inside one unit (f = 1) are a
  label raster (``full``); the others (boundary cells) are a sparse list of pieces
  (cell, unit, f).  Allocation weights are ``layer · f``, so a border cell's emission is
  split between the units that cover it.
- ``centre``: a cell belongs to the unit containing its centre (``centre`` labels, as
  ``rasterio.features.rasterize`` with ``all_touched=False``).  A unit that holds no cell
  centre (a small urban district on a 1 km grid) gets the cell holding the largest share
  of its area; that cell is taken from the unit whose centre it held, unless that unit
  would be left without any cell (then the next best cell).  Such units are listed in
  the record.

Coarser levels are looked up from the finest units (:func:`level_lookup`), so they nest
exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carbonbalance.core.grid import GridSpec
from carbonbalance.errors import InputError

log = logging.getLogger(__name__)

MODES = ("exact", "centre")
NO_UNIT = -1


def label_dtype(n_units: int):
    """int16 up to 32 766 units (all counties of China fit), else int32."""
    return np.dtype("int16") if n_units < np.iinfo("int16").max else np.dtype("int32")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"zonal.mode must be one of {MODES}, not {mode!r}")
    return mode


@dataclass
class Coverage:
    """Cell-to-unit assignment of the finest units on a grid (both modes)."""

    unit_ids: list[str]
    centre: np.ndarray  # (ny, nx) unit index of the cell centre (and borrowed cells), -1 none
    full: np.ndarray  # (ny, nx) unit index of cells wholly inside one unit (f = 1), -1 otherwise
    cell: np.ndarray  # (m,) int64 flat index of the other covered cells, sorted
    unit: np.ndarray  # (m,) int32 their unit index
    fraction: np.ndarray  # (m,) float64 coverage fraction in (0, 1]
    attrs: dict = field(default_factory=dict)  # the record and levels of the stored assignment

    @property
    def shape(self) -> tuple:
        return self.centre.shape

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    def labels(self, mode: str) -> np.ndarray:
        """The label raster of ``mode``: whole cells (exact) or centre labels (centre)."""
        return self.full if check_mode(mode) == "exact" else self.centre

    def region(self) -> np.ndarray:
        """(ny, nx) bool: the cells assigned to some unit in either mode (the study region)."""
        out = (self.full >= 0) | (self.centre >= 0)
        out.ravel()[self.cell] = True
        return out

    def pieces(self, mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cell, unit, fraction) of the partly covered cells (exact); empty in centre mode."""
        if check_mode(mode) == "exact":
            return self.cell, self.unit, self.fraction
        return np.zeros(0, "int64"), np.zeros(0, "int32"), np.zeros(0, "float64")


def repaired(gdf, id_column: str, source: str = "boundaries"):
    """``gdf`` with invalid geometries repaired by ``shapely.make_valid`` (logged, counted in
    ``attrs["n_repaired"]``); an empty geometry is an error naming the units."""
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise InputError(f"{source}: unit(s) {list(gdf.loc[empty, id_column])[:10]} have no geometry")
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        import shapely

        log.warning(
            "%s: repaired %d invalid geometr(ies): %s",
            source,
            int(invalid.sum()),
            list(gdf.loc[invalid, id_column])[:20],
        )
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = shapely.make_valid(gdf.geometry[invalid].to_numpy())
    gdf.attrs["n_repaired"] = int(invalid.sum())
    return gdf


def build_coverage(gdf, grid: GridSpec, id_column: str) -> tuple[Coverage, dict]:
    """Centre labels and exact coverage fractions of the units of ``gdf`` on ``grid``.

    The geometries are reprojected to the grid CRS; the fractions come from
    ``exactextract`` (ops ``cell_id`` and ``coverage``).  Returns (coverage, record).
    """
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    if gdf.crs is None:
        raise InputError("boundaries have no CRS")
    gdf = repaired(gdf, id_column)
    n_repaired = gdf.attrs["n_repaired"]
    if not gdf.crs.equals(grid.pyproj_crs):
        gdf = gdf.to_crs(grid.crs)
    ids = [str(i) for i in gdf[id_column]]
    dtype = label_dtype(len(ids))
    xmin, ymin, xmax, ymax = grid.bounds
    # the values of this raster are not used by the cell_id and coverage ops, only its grid
    src = NumPyRasterSource(
        np.zeros(grid.shape, dtype="uint8"), xmin, ymin, xmax, ymax, srs_wkt=grid.pyproj_crs.to_wkt()
    )
    res = exact_extract(src, wkb_features(gdf, id_column), ["cell_id", "coverage"], output="pandas")
    cells = [np.asarray(c, dtype="int64") for c in res["cell_id"]]
    fracs = [np.asarray(f, dtype="float64") for f in res["coverage"]]
    units = [np.full(len(c), k, dtype="int32") for k, c in enumerate(cells)]
    cell = np.concatenate(cells) if cells else np.zeros(0, "int64")
    unit = np.concatenate(units) if units else np.zeros(0, "int32")
    frac = np.concatenate(fracs) if fracs else np.zeros(0)
    keep = frac > 0
    cell, unit, frac = cell[keep], unit[keep], frac[keep]
    # cells wholly inside one unit go to the label raster; the rest stay sparse
    n_entries = np.bincount(cell, minlength=grid.width * grid.height)
    whole = (frac >= 1.0) & (n_entries[cell] == 1)
    full = np.full(grid.width * grid.height, NO_UNIT, dtype=dtype)
    full[cell[whole]] = unit[whole]
    order = np.argsort(cell[~whole], kind="stable")
    cell, unit, frac = cell[~whole][order], unit[~whole][order], frac[~whole][order]
    centre = full.copy()
    _centres_of_boundary_cells(centre, cell, unit, gdf.geometry.to_numpy(), grid)
    no_centre = np.flatnonzero(np.bincount(centre[centre >= 0].astype("int64"), minlength=len(ids)) == 0)
    borrowed = _borrow_cells(centre, cell, unit, frac, no_centre, ids, grid)
    cov = Coverage(
        unit_ids=ids,
        centre=centre.reshape(grid.shape),
        full=full.reshape(grid.shape),
        cell=cell,
        unit=unit,
        fraction=frac,
    )
    covered = np.bincount(np.concatenate([unit, full[full >= 0].astype("int32")]), minlength=len(ids))
    outside = [ids[k] for k in np.flatnonzero(covered == 0)]
    if borrowed:
        log.warning(
            "%d unit(s) contain no cell centre; in centre mode each gets the cell holding most of its area: %s",
            len(borrowed),
            {u: (b["row"], b["col"]) for u, b in list(borrowed.items())[:20]},
        )
    if outside:
        log.warning("%d unit(s) lie outside the grid and have no cell: %s", len(outside), outside[:20])
    record = {
        "n_units": len(ids),
        "level_id": id_column,
        "cells_whole": int(whole.sum()),
        "boundary_entries": int((~whole).sum()),
        "repaired_geometries": n_repaired,
        "units_without_cell_centre": [ids[k] for k in no_centre],
        "units_at_borrowed_cell": borrowed,
        "units_outside_grid": outside,
        "rule_for_units_without_cell_centre": "centre mode: the cell holding the largest share of the "
        "unit's area, taken from the unit whose centre it held",
    }
    return cov, record


def _centres_of_boundary_cells(centre, cell, unit, geoms, grid: GridSpec) -> None:
    """Label the partly covered cells by the unit containing their centre (point in polygon;
    a centre exactly on a shared edge goes to the first unit touching it).

    The wholly covered cells already carry their unit; this is what ``rasterize`` with
    ``all_touched=False`` gives, without rasterising every polygon again.
    """
    import shapely

    nx = grid.width
    x = grid.transform.c + (cell % nx + 0.5) * grid.transform.a
    y = grid.transform.f + (cell // nx + 0.5) * grid.transform.e
    by_unit = np.argsort(unit, kind="stable")
    bounds = np.searchsorted(unit[by_unit], np.arange(len(geoms) + 1))
    for s0, s1 in zip(bounds[:-1], bounds[1:]):
        idx = by_unit[s0:s1]
        if idx.size == 0:
            continue
        k = int(unit[idx[0]])
        g = geoms[k]
        shapely.prepare(g)
        inside = shapely.contains_xy(g, x[idx], y[idx])
        edge = ~inside & (centre[cell[idx]] < 0)
        if edge.any():
            inside |= edge & shapely.intersects_xy(g, x[idx], y[idx])
        centre[cell[idx[inside]]] = k


def _borrow_cells(centre, cell, unit, frac, no_centre, ids, grid: GridSpec) -> dict:
    """Give every unit without a cell centre the cell holding the largest share of its area
    (ties: the lower cell index), never one already given to such a unit and never the last
    cell of another unit.  Changes ``centre`` (flat) in place; returns the record."""
    counts = np.bincount(centre[centre >= 0].astype("int64"), minlength=len(ids))
    out = {}
    for k in no_centre:
        mine = np.flatnonzero(unit == k)
        if mine.size == 0:
            continue  # outside the grid
        order = mine[np.lexsort((cell[mine], -frac[mine]))]
        for e in order:
            c = int(cell[e])
            prev = int(centre[c])
            if prev >= 0 and (ids[prev] in out or counts[prev] <= 1):
                continue
            centre[c] = k
            counts[k] += 1
            if prev >= 0:
                counts[prev] -= 1
            out[ids[k]] = {
                "row": c // grid.width,
                "col": c % grid.width,
                "fraction": float(frac[e]),
                "taken_from": ids[prev] if prev >= 0 else None,
            }
            break
    return out


def wkb_features(gdf, id_column: str):
    """An exactextract feature source that hands over WKB (geopandas' own source goes
    through GeoJSON text, which costs more than the coverage itself for China's counties)."""
    import shapely
    from exactextract.feature import Feature, FeatureSource

    class WKBFeature(Feature):
        def __init__(self, wkb: bytes, fid):
            super().__init__()
            self.wkb, self.fid = wkb, fid

        def geometry(self):
            return self.wkb

        def get(self, name):
            return self.fid

        def fields(self):
            return [id_column]

    class WKBFeatureSource(FeatureSource):
        def __init__(self):
            super().__init__()
            self.wkbs = shapely.to_wkb(gdf.geometry.to_numpy())
            self.ids = [str(i) for i in gdf[id_column]]

        def count(self):
            return len(self.ids)

        def __iter__(self):
            for wkb, fid in zip(self.wkbs, self.ids):
                yield WKBFeature(wkb, fid)

        def srs_wkt(self):
            return gdf.crs.to_wkt()

    return WKBFeatureSource()


# --------------------------------------------------------------------------- storage


def write_coverage(
    cov: Coverage, grid: GridSpec, out_path, record: dict | None = None, levels: dict | None = None
) -> None:
    """Store the assignment in a Zarr group (written under a temporary name, then renamed).

    levels : {level name: id column}, finest first (read back by :func:`read_coverage`).
    """
    import zarr

    from carbonbalance.core.store import atomic_output

    with atomic_output(out_path, directory=True) as tmp:
        g = zarr.open_group(str(tmp), mode="w")
        chunks = (grid.chunk, grid.chunk)
        for name in ("centre", "full"):
            a = getattr(cov, name)
            g.create_array(name, shape=a.shape, dtype=a.dtype, chunks=chunks, fill_value=-1)[:] = a
        for name in ("cell", "unit", "fraction"):
            a = getattr(cov, name)
            g.create_array(name, shape=a.shape, dtype=a.dtype, chunks=(max(1, min(len(a), 1 << 20)),))[:] = a
        g.attrs.update(
            {**(record or {}), "unit_ids": cov.unit_ids, "grid": grid.__dict__, "levels": dict(levels or {})}
        )


def read_coverage(path) -> Coverage:
    """The assignment of :func:`write_coverage` (``attrs`` holds its record and levels)."""
    import zarr

    g = zarr.open_group(str(path), mode="r")
    if "unit_ids" not in g.attrs:
        raise InputError(f"{path}: not a unit assignment store (no unit_ids)")
    return Coverage(
        unit_ids=list(g.attrs["unit_ids"]),
        centre=g["centre"][:],
        full=g["full"][:],
        cell=g["cell"][:],
        unit=g["unit"][:],
        fraction=g["fraction"][:],
        attrs=dict(g.attrs),
    )


# --------------------------------------------------------------------------- levels


def level_lookup(
    finest: pd.DataFrame, finest_id: str, level_id: str, finest_ids: list[str]
) -> tuple[np.ndarray, list[str]]:
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
        raise InputError(f"units {missing[:10]} of the unit assignment are not in the units table")
    level_ids = sorted({parent[i] for i in finest_ids})
    pos = {u: k for k, u in enumerate(level_ids)}
    return np.array([pos[parent[i]] for i in finest_ids], dtype="int64"), level_ids


def relabel(labels: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """Labels of a coarser level from the finest labels and :func:`level_lookup` (-1 stays -1)."""
    out_dtype = label_dtype(int(lookup.max()) + 1 if lookup.size else 0)
    table = np.append(lookup, NO_UNIT).astype(out_dtype)  # index -1 -> the appended -1
    return table[labels]
