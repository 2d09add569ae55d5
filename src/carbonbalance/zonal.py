"""Zonal statistics of grid layers per unit (SPEC §5), built once and reused per layer.

Cells are assigned to the finest units by the run's one assignment
(:mod:`carbonbalance.assignment`), in one of two modes:

- ``centre``: a cell belongs to the unit containing its centre (as ``rasterstats``
  with ``all_touched=False``), and a unit without any cell centre has the cell holding
  most of its area;
- ``exact``: a cell contributes to each unit in proportion to the share of its area
  inside it (the coverage fraction f of ``exactextract``): sum = Σ f·v,
  count = Σ f over valid cells, mean = sum / count.

A layer takes one numba pass over its cells plus one over the boundary entries
(:func:`zonal_sums`).  Coarser levels are sums of the finest units
(:func:`aggregate_levels`), so that they nest exactly.
"""

from __future__ import annotations

import logging

import numba
import numpy as np
import pandas as pd

from carbonbalance.allocation import run_end
from carbonbalance.assignment import Coverage
from carbonbalance.errors import InputError
from carbonbalance.parallel import block_slices, run_blocks

log = logging.getLogger(__name__)

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
            b = run_end(lrow, a)
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


def _bands(cell: np.ndarray, shape, rows_per_band: int):
    """Row bands with the range of sparse entries (sorted flat ``cell`` indices) inside each."""
    ny, nx = shape
    out = []
    for rows, _ in block_slices((ny, nx), (rows_per_band, nx)):
        lo, hi = np.searchsorted(cell, [rows.start * nx, rows.stop * nx])
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
    labels, (cell, unit, fraction) = cov.labels(mode), cov.pieces(mode)
    n, nx = cov.n_units, cov.shape[1]
    read = values if callable(values) else (lambda rows: values[rows])
    use_w = weight is not None
    wread = (weight if callable(weight) else (lambda rows: weight[rows])) if use_w else None

    def band(item):
        rows, lo, hi = item
        v = np.ascontiguousarray(read(rows))
        w = np.ascontiguousarray(wread(rows), dtype="float64") if use_w else v
        s, c = np.zeros(n), np.zeros(n)
        _label_sums(labels[rows], v, w, use_w, rows.start, n, s, c)
        if hi > lo:
            _sparse_sums(cell[lo:hi], unit[lo:hi], fraction[lo:hi], v.ravel(), w.ravel(), use_w,
                         rows.start * nx, n, s, c)
        return s, c

    parts = run_blocks(band, _bands(cell, cov.shape, rows_per_band), threads=threads)
    return np.sum([p[0] for p in parts], axis=0), np.sum([p[1] for p in parts], axis=0)


def zonal_class_sums(cov: Coverage, classes, weight, n_classes: int, mode: str = "exact",
                     rows_per_band: int = 256, threads: int = 1) -> np.ndarray:
    """(n_units, n_classes) Σ f·w per class, e.g. the area of each land-use class per unit.

    classes : (ny, nx) int class index (-1 = none) or callable(rows); weight likewise (float).
    """
    labels, (cell, unit, fraction) = cov.labels(mode), cov.pieces(mode)
    n, nx = cov.n_units, cov.shape[1]
    read_c = classes if callable(classes) else (lambda rows: classes[rows])
    read_w = weight if callable(weight) else (lambda rows: weight[rows])

    def band(item):
        rows, lo, hi = item
        cl = np.ascontiguousarray(read_c(rows), dtype="int8")
        w = np.ascontiguousarray(read_w(rows), dtype="float64")
        s = np.zeros((n, n_classes))
        _label_class_sums(labels[rows], cl, w, n, n_classes, s)
        if hi > lo:
            _sparse_class_sums(cell[lo:hi], unit[lo:hi], fraction[lo:hi], cl.ravel(), w.ravel(),
                               rows.start * nx, s)
        return s

    return np.sum(run_blocks(band, _bands(cell, cov.shape, rows_per_band), threads=threads), axis=0)


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
