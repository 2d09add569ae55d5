"""Zonal statistics of grid layers per unit (SPEC §5), built once and reused per layer.

Two ways of assigning cells to the finest units:

- ``centre``: a cell belongs to the unit containing its centre (as ``rasterstats``
  with ``all_touched=False``); a unit without any cell centre gets nothing (zero count).
- ``exact``: a cell contributes to each unit in proportion to the share of its area
  inside it (the coverage fraction f of ``exactextract``): sum = Σ f·v,
  count = Σ f over valid cells, mean = sum / count.

:func:`build_coverage` computes both once per boundaries and grid: the centre labels,
the labels of the cells lying wholly inside one unit (f = 1), and the fractions of the
remaining (boundary) cells as a sparse list, from one ``exactextract`` call.  A layer
then takes one numba pass over its cells plus one over the boundary entries
(:func:`zonal_sums`).  Coarser levels are sums of the finest units
(:func:`aggregate_levels`), so that they nest exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from carbonbalance.allocation import _run_end
from carbonbalance.errors import InputError
from carbonbalance.grid import GridSpec
from carbonbalance.parallel import block_slices, run_blocks

log = logging.getLogger(__name__)

MODES = ("exact", "centre")


@dataclass
class Coverage:
    """Cell-to-unit assignment of the finest units on a grid (both modes)."""

    unit_ids: list[str]
    centre: np.ndarray        # (ny, nx) unit index of the cell centre, -1 none
    full: np.ndarray          # (ny, nx) unit index of cells wholly inside one unit (f = 1), -1 otherwise
    cell: np.ndarray          # (m,) int64 flat index of the other covered cells, sorted
    unit: np.ndarray          # (m,) int32 their unit index
    fraction: np.ndarray      # (m,) float64 coverage fraction in (0, 1]

    @property
    def shape(self) -> tuple:
        return self.centre.shape

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)


def build_coverage(gdf, grid: GridSpec, id_column: str) -> tuple[Coverage, dict]:
    """Centre labels and exact coverage fractions of the units of ``gdf`` on ``grid``.

    The geometries are reprojected to the grid CRS; the fractions come from
    ``exactextract`` (ops ``cell_id`` and ``coverage``).  Returns (coverage, record).
    """
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource
    from carbonbalance.unit_raster import label_dtype

    if gdf.crs is None:
        raise InputError("boundaries have no CRS")
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise InputError(f"boundaries: unit(s) {list(gdf.loc[empty, id_column])[:10]} have no geometry")
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        import shapely

        log.warning("boundaries: repaired %d invalid geometr(ies): %s", int(invalid.sum()),
                    list(gdf.loc[invalid, id_column])[:20])
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = shapely.make_valid(gdf.geometry[invalid].to_numpy())
    if not gdf.crs.equals(grid.pyproj_crs):
        gdf = gdf.to_crs(grid.crs)
    ids = [str(i) for i in gdf[id_column]]
    dtype = label_dtype(len(ids))
    xmin, ymin, xmax, ymax = grid.bounds
    # the values of this raster are not used by the cell_id and coverage ops, only its grid
    src = NumPyRasterSource(np.zeros(grid.shape, dtype="uint8"), xmin, ymin, xmax, ymax,
                            srs_wkt=grid.pyproj_crs.to_wkt())
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
    full = np.full(grid.width * grid.height, -1, dtype=dtype)
    full[cell[whole]] = unit[whole]
    order = np.argsort(cell[~whole], kind="stable")
    cell, unit, frac = cell[~whole][order], unit[~whole][order], frac[~whole][order]
    centre = full.copy()
    _centres_of_boundary_cells(centre, cell, unit, gdf.geometry.to_numpy(), grid)
    cov = Coverage(unit_ids=ids, centre=centre.reshape(grid.shape), full=full.reshape(grid.shape), cell=cell,
                   unit=unit, fraction=frac)
    n_centre = np.bincount(centre[centre >= 0].astype("int64"), minlength=len(ids))
    covered = np.bincount(np.concatenate([unit, full[full >= 0].astype("int32")]), minlength=len(ids))
    no_centre = [ids[k] for k in np.flatnonzero(n_centre == 0)]
    if no_centre:
        log.warning("%d unit(s) contain no cell centre: zero counts in centre mode, exact mode covers them: %s",
                    len(no_centre), no_centre[:20])
    record = {"n_units": len(ids), "cells_whole": int(whole.sum()), "boundary_entries": int((~whole).sum()),
              "repaired_geometries": int(invalid.sum()),
              "units_without_cell_centre": no_centre,
              "units_outside_grid": [ids[k] for k in np.flatnonzero(covered == 0)]}
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


# --------------------------------------------------------------------------- kernels


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def _run_stats(v, w, use_weight):
    """(Σ v·w, number) over the finite values of a run (reassociated, hence vectorised)."""
    s = 0.0
    n = 0.0
    for t in range(v.shape[0]):
        x = np.float64(v[t])
        ok = x == x
        s += (x * (w[t] if use_weight else 1.0)) if ok else 0.0
        n += 1.0 if ok else 0.0
    return s, n


@numba.njit(nogil=True, cache=True)
def _label_sums(labels, values, weight, use_weight, row0, n_units, sums, counts):
    """sums[u] += v·w, counts[u] += 1 for the valid cells (finite v) of label u in a row band,
    run by run of equal labels along rows."""
    nx = labels.shape[1]
    for i in range(labels.shape[0]):
        lrow = labels[i]
        vrow = values[i]
        wrow = weight[i] if use_weight else values[i]
        a = 0
        while a < nx:
            b = _run_end(lrow, a)
            u = lrow[a]
            if 0 <= u < n_units:
                s, n = _run_stats(vrow[a:b], wrow[a:b], use_weight)
                sums[u] += s
                counts[u] += n
            a = b


@numba.njit(nogil=True, cache=True)
def _sparse_sums(cell, unit, fraction, values_flat, weight_flat, use_weight, offset, n_units, sums, counts):
    """sums[u] += f·v·w, counts[u] += f over the sparse entries (cells relative to ``offset``)."""
    for k in range(cell.shape[0]):
        c = cell[k] - offset
        v = values_flat[c]
        if v == v:
            f = fraction[k]
            sums[unit[k]] += f * v * (weight_flat[c] if use_weight else 1.0)
            counts[unit[k]] += f


@numba.njit(nogil=True, cache=True)
def _label_class_sums(labels, classes, weight, n_units, n_classes, sums):
    """sums[u, k] += w for the cells of label u and class k (class -1 skipped)."""
    for i in range(labels.shape[0]):
        for j in range(labels.shape[1]):
            u = labels[i, j]
            k = classes[i, j]
            if u >= 0 and k >= 0:
                sums[u, k] += weight[i, j]


@numba.njit(nogil=True, cache=True)
def _sparse_class_sums(cell, unit, fraction, classes_flat, weight_flat, offset, sums):
    for k in range(cell.shape[0]):
        c = cell[k] - offset
        cl = classes_flat[c]
        if cl >= 0:
            sums[unit[k], cl] += fraction[k] * weight_flat[c]


def _bands(cov: Coverage, rows_per_band: int):
    """Row bands with the range of sparse entries inside each."""
    ny, nx = cov.shape
    out = []
    for rows, _ in block_slices((ny, nx), (rows_per_band, nx)):
        lo, hi = np.searchsorted(cov.cell, [rows.start * nx, rows.stop * nx])
        out.append((rows, int(lo), int(hi)))
    return out


def zonal_sums(cov: Coverage, values, mode: str = "exact", weight=None, rows_per_band: int = 256,
               threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Per finest unit: (Σ f·v·w, Σ f) over the valid (finite) cells of ``values``.

    values : (ny, nx) array or a callable ``values(rows) -> band`` reading a row band
    weight : optional (ny, nx) per-cell factor (e.g. cell area to turn a density into a
             mass); without it sums are plain Σ f·v
    mode : ``exact`` (coverage fractions) or ``centre`` (f = 1 for the centre's unit)
    Returns float64 (n_units,) sums and counts (in cells; fractional in exact mode).
    """
    if mode not in MODES:
        raise ValueError(f"zonal mode must be one of {MODES}, not {mode!r}")
    n, nx = cov.n_units, cov.shape[1]
    read = values if callable(values) else (lambda rows: values[rows])
    use_w = weight is not None
    wread = (weight if callable(weight) else (lambda rows: weight[rows])) if use_w else None

    def band(item):
        rows, lo, hi = item
        v = np.ascontiguousarray(read(rows))
        w = np.ascontiguousarray(wread(rows), dtype="float64") if use_w else v
        s, c = np.zeros(n), np.zeros(n)
        labels = cov.centre if mode == "centre" else cov.full
        _label_sums(labels[rows], v, w, use_w, rows.start, n, s, c)
        if mode == "exact" and hi > lo:
            _sparse_sums(cov.cell[lo:hi], cov.unit[lo:hi], cov.fraction[lo:hi], v.ravel(), w.ravel(), use_w,
                         rows.start * nx, n, s, c)
        return s, c

    parts = run_blocks(band, _bands(cov, rows_per_band), threads=threads)
    return np.sum([p[0] for p in parts], axis=0), np.sum([p[1] for p in parts], axis=0)


def zonal_class_sums(cov: Coverage, classes, weight, n_classes: int, mode: str = "exact",
                     rows_per_band: int = 256, threads: int = 1) -> np.ndarray:
    """(n_units, n_classes) Σ f·w per class, e.g. the area of each land-use class per unit.

    classes : (ny, nx) int class index (-1 = none) or callable(rows); weight likewise (float).
    """
    n, nx = cov.n_units, cov.shape[1]
    read_c = classes if callable(classes) else (lambda rows: classes[rows])
    read_w = weight if callable(weight) else (lambda rows: weight[rows])

    def band(item):
        rows, lo, hi = item
        cl = np.ascontiguousarray(read_c(rows), dtype="int8")
        w = np.ascontiguousarray(read_w(rows), dtype="float64")
        s = np.zeros((n, n_classes))
        _label_class_sums(cov.centre[rows] if mode == "centre" else cov.full[rows], cl, w, n, n_classes, s)
        if mode == "exact" and hi > lo:
            _sparse_class_sums(cov.cell[lo:hi], cov.unit[lo:hi], cov.fraction[lo:hi], cl.ravel(), w.ravel(),
                               rows.start * nx, s)
        return s

    return np.sum(run_blocks(band, _bands(cov, rows_per_band), threads=threads), axis=0)


# --------------------------------------------------------------------------- storage


def write_coverage(cov: Coverage, grid: GridSpec, out_path, record: dict | None = None) -> None:
    """Store the coverage in a Zarr group (written under a temporary name, then renamed)."""
    import zarr

    from carbonbalance.store import atomic_output

    with atomic_output(out_path, directory=True) as tmp:
        g = zarr.open_group(str(tmp), mode="w")
        chunks = (grid.chunk, grid.chunk)
        for name in ("centre", "full"):
            a = getattr(cov, name)
            g.create_array(name, shape=a.shape, dtype=a.dtype, chunks=chunks, fill_value=-1)[:] = a
        for name in ("cell", "unit", "fraction"):
            a = getattr(cov, name)
            g.create_array(name, shape=a.shape, dtype=a.dtype, chunks=(max(1, min(len(a), 1 << 20)),))[:] = a
        g.attrs.update({"unit_ids": cov.unit_ids, "grid": grid.__dict__, **(record or {})})


def read_coverage(path) -> Coverage:
    import zarr

    g = zarr.open_group(str(path), mode="r")
    if "unit_ids" not in g.attrs:
        raise InputError(f"{path}: not a coverage store (no unit_ids)")
    return Coverage(unit_ids=list(g.attrs["unit_ids"]), centre=g["centre"][:], full=g["full"][:],
                    cell=g["cell"][:], unit=g["unit"][:], fraction=g["fraction"][:])


# --------------------------------------------------------------------------- levels


def aggregate_levels(finest: pd.DataFrame, units: pd.DataFrame, levels: list, sum_columns: list[str],
                     mean_columns: dict | None = None, region_name: str = "region") -> dict:
    """Tables per level from the finest units' sums (so that levels nest exactly).

    finest : one row per finest unit (``unit_id``) and ``year`` with ``sum_columns``
    units : units.parquet (unit_id, level, name, parent id columns)
    levels : [(level name, id column)] finest first; a last ``region`` level (all units)
             is added
    mean_columns : {mean column: (sum column, count column)} recomputed per level
    """
    mean_columns = mean_columns or {}
    finest_name, finest_id = levels[0]
    table = units[units["level"] == finest_name].set_index("unit_id")
    parents = [c for _, c in levels[1:]]
    base = finest.join(table[parents], on="unit_id")
    missing = base[parents].isna().any(axis=1) if parents else pd.Series(False, index=base.index)
    if missing.any():
        raise InputError(f"zonal: finest unit(s) {sorted(set(base.loc[missing, 'unit_id']))[:10]} have no parents")
    base["region_id"] = region_name
    out = {}
    for name, id_col in list(levels) + [(region_name, "region_id")]:
        key = "unit_id" if name == finest_name else id_col
        g = base.groupby([key, "year"], sort=True)[sum_columns].sum().reset_index().rename(columns={key: "unit_id"})
        for mcol, (scol, ccol) in mean_columns.items():
            with np.errstate(invalid="ignore", divide="ignore"):
                g[mcol] = np.where(g[ccol] > 0, g[scol] / g[ccol], np.nan)
        info = units[units["level"] == name].drop(columns=["level"]).dropna(axis=1, how="all")
        g = info.merge(g, on="unit_id", how="right") if len(info) else g.assign(name=region_name)
        g.insert(1, "level", name)
        out[name] = g
    return out
