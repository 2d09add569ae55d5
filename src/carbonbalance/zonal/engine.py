"""Zonal statistics of grid layers per unit (SPEC §5), built once and reused per layer.

Cells are assigned to the finest units by the run's one assignment
(:mod:`carbonbalance.core.assignment`), in one of two modes:

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

import numpy as np

from carbonbalance.core.assignment import Coverage
from carbonbalance.core.blocks import block_slices, run_blocks
from carbonbalance.zonal.kernels import label_class_sums, label_sums, sparse_class_sums, sparse_sums


def _bands(cell: np.ndarray, shape, rows_per_band: int):
    """Row bands with the range of sparse entries (sorted flat ``cell`` indices) inside each."""
    ny, nx = shape
    out = []
    for rows, _ in block_slices((ny, nx), (rows_per_band, nx)):
        lo, hi = np.searchsorted(cell, [rows.start * nx, rows.stop * nx])
        out.append((rows, int(lo), int(hi)))
    return out


def zonal_sums(
    cov: Coverage, values, mode: str = "exact", weight=None, rows_per_band: int = 256, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
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
        label_sums(labels[rows], v, w, use_w, rows.start, n, s, c)
        if hi > lo:
            sparse_sums(
                cell[lo:hi], unit[lo:hi], fraction[lo:hi], v.ravel(), w.ravel(), use_w, rows.start * nx, n, s, c
            )
        return s, c

    parts = run_blocks(band, _bands(cell, cov.shape, rows_per_band), threads=threads)
    return np.sum([p[0] for p in parts], axis=0), np.sum([p[1] for p in parts], axis=0)


def zonal_class_sums(
    cov: Coverage, classes, weight, n_classes: int, mode: str = "exact", rows_per_band: int = 256, threads: int = 1
) -> np.ndarray:
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
        label_class_sums(labels[rows], cl, w, n, n_classes, s)
        if hi > lo:
            sparse_class_sums(cell[lo:hi], unit[lo:hi], fraction[lo:hi], cl.ravel(), w.ravel(), rows.start * nx, s)
        return s

    return np.sum(run_blocks(band, _bands(cell, cov.shape, rows_per_band), threads=threads), axis=0)
