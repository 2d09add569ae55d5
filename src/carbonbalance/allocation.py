"""Mass-conserving allocation of unit totals to grid cells by weight rasters (SPEC §4).

``C_r = C_c · W_r / Σ_{r∈c} W_r`` for every cell r of unit c, where W is the first
weight layer in the fallback order (e.g. night light → population → cell area) whose
sum over the unit's cells is positive.  Units are given as a label raster (cell →
unit index, -1 outside every unit); an optional mask restricts the cells that may
receive a share (e.g. the land-use cells of one emission category).

Two chunked passes, each a numba kernel per chunk driven by dask: the weight sums of
every unit and layer (float64, reduced over chunks), then the allocation.  For every unit that has a total and an eligible cell, the allocated cells
sum to the total to floating-point precision; nothing is allocated outside units;
weights that are NaN count as 0; negative weights are an error.
"""

from __future__ import annotations

import logging

import dask.array as da
import numba
import numpy as np

from carbonbalance.errors import InputError
from carbonbalance.parallel import chunked_view, compute

log = logging.getLogger(__name__)


@numba.njit(nogil=True, cache=True)
def weight_sums(labels, w0, w1, w2, k, mask, use_mask, n_units):
    """Per unit and layer: (sum of weights, number of eligible cells, number of negative weights).

    labels (ny, nx) int; w0, w1, w2 (ny, nx) float weight layers in fallback order, the
    first ``k`` used (NaN = 0); mask (ny, nx) bool, read only if ``use_mask``.
    Returns float64 (3, n_units), int64 (n_units,), int64 (3,).
    """
    sums = np.zeros((3, n_units))
    cells = np.zeros(n_units, dtype=np.int64)
    negative = np.zeros(3, dtype=np.int64)
    for i in range(labels.shape[0]):
        for j in range(labels.shape[1]):
            u = labels[i, j]
            if u < 0 or (use_mask and not mask[i, j]):
                continue
            cells[u] += 1
            a = w0[i, j]
            b = w1[i, j]
            c = w2[i, j]
            sums[0, u] += a if a > 0.0 else 0.0
            sums[1, u] += b if b > 0.0 else 0.0
            sums[2, u] += c if c > 0.0 else 0.0
            if a < 0.0 or b < 0.0 or c < 0.0:
                negative[0] += a < 0.0
                negative[1] += b < 0.0
                negative[2] += c < 0.0
    return sums, cells, negative


@numba.njit(nogil=True, cache=True, inline="always")
def _weight(q, w0, w1, w2, i, j):
    if q == 0:
        return w0[i, j]
    if q == 1:
        return w1[i, j]
    return w2[i, j]


@numba.njit(nogil=True, cache=True)
def allocate_block(labels, w0, w1, w2, mask, use_mask, choice, scale, out):
    """out[r] = scale[u] · w_choice[u][r] for the eligible cells r of unit u (else 0)."""
    for i in range(labels.shape[0]):
        for j in range(labels.shape[1]):
            u = labels[i, j]
            v = 0.0
            if u >= 0 and (not use_mask or mask[i, j]):
                q = choice[u]
                if q >= 0:
                    w = _weight(q, w0, w1, w2, i, j)
                    if w > 0.0:
                        v = scale[u] * w
            out[i, j] = v


def _chunked(a, chunks):
    if isinstance(a, da.Array):
        return a.rechunk(chunks)
    return chunked_view(np.asarray(a), chunks)


MAX_LAYERS = 3
_NO_MASK = np.ones((1, 1), dtype=bool)


def _inputs(labels, weights: dict, mask, chunk: int):
    """Labels, three weight layers (the unused repeat the first) and mask as dask arrays chunked alike."""
    if not 1 <= len(weights) <= MAX_LAYERS:
        raise ValueError(f"1 to {MAX_LAYERS} weight layers (the fallback chain), got {list(weights)}")
    lab = _chunked(labels, (chunk, chunk))
    ws = [_chunked(weights[name], lab.chunks) for name in weights]
    ws += [ws[0]] * (MAX_LAYERS - len(ws))
    m = lab if mask is None else _chunked(mask, lab.chunks)  # a stand-in, not read, without a mask
    return lab, ws, m


def plan(labels, weights: dict, totals, mask=None, unit_names=None, chunk: int = 512, threads: int = 1):
    """First pass: the weight layer each unit uses and its scale factor total / Σ weights.

    labels : (ny, nx) int array (numpy or dask), unit index or -1
    weights : {name: (ny, nx) array} in fallback order (dicts keep insertion order)
    totals : (n_units,) float, NaN = no total (nothing allocated for that unit)
    Returns (choice, scale, record); raises :class:`InputError` for negative totals or
    weights, and for a unit with a total but no eligible cell.
    """
    totals = np.asarray(totals, dtype="float64")
    n = totals.shape[0]
    names = list(weights)
    unit_names = list(unit_names) if unit_names is not None else [str(u) for u in range(n)]
    neg = np.flatnonzero(totals < 0)
    if neg.size:
        raise InputError(f"negative total(s) for unit(s) {[unit_names[u] for u in neg[:10]]}: "
                         f"{totals[neg[:10]].tolist()}")
    lab, ws, m = _inputs(labels, weights, mask, chunk)
    k = len(names)
    size = k * n + n + k
    nb = tuple((1,) * len(c) for c in lab.chunks)

    use_mask = mask is not None

    def block(lb, w0, w1, w2, mb):
        s, c, g = weight_sums(lb, w0, w1, w2, k, mb if use_mask else _NO_MASK, use_mask, n)
        return np.concatenate([s[:k].ravel(), c.astype("float64"), g[:k].astype("float64")])[None, None]

    per_block = da.map_blocks(block, lab, *ws, m, dtype="float64", meta=np.empty((0, 0, 0)),
                              chunks=nb + ((size,),), new_axis=[2])
    red = compute(per_block.sum(axis=(0, 1)), threads=threads)[0]
    sums = red[:k * n].reshape(k, n)
    cells = np.rint(red[k * n:k * n + n]).astype("int64")
    negative = np.rint(red[k * n + n:]).astype("int64")
    for q, name in enumerate(names):
        if negative[q]:
            raise InputError(f"weight layer {name!r}: {negative[q]} negative value(s) inside units")
    choice = np.full(n, -1, dtype="int64")
    for q in range(k - 1, -1, -1):
        choice = np.where(sums[q] > 0, q, choice)
    has_total = np.isfinite(totals) & (totals > 0)
    stranded = np.flatnonzero(has_total & (choice < 0))
    if stranded.size:
        raise InputError(f"unit(s) {[unit_names[u] for u in stranded[:10]]} have a total but no eligible cell "
                         f"with a positive weight ({' -> '.join(names)}); use a finer grid or a coarser level")
    scale = np.zeros(n)
    ok = has_total & (choice >= 0)
    scale[ok] = totals[ok] / sums[choice[ok], np.flatnonzero(ok)]
    fallbacks = {unit_names[u]: names[choice[u]] for u in np.flatnonzero(ok & (choice > 0))}
    for u, name in fallbacks.items():
        log.warning("unit %s: %s weights sum to zero, allocated by %s", u, names[0], name)
    record = {"weights": names, "n_units_with_total": int(has_total.sum()),
              "weight_used": {name: int(((choice == q) & ok).sum()) for q, name in enumerate(names)},
              "fallback_units": fallbacks, "eligible_cells": {unit_names[u]: int(cells[u]) for u in range(n)}}
    return choice, scale, record


def allocate_lazy(labels, weights: dict, choice, scale, mask=None, chunk: int = 512) -> da.Array:
    """Second pass, lazily: the (ny, nx) float64 allocation of :func:`plan`'s result."""
    lab, ws, m = _inputs(labels, weights, mask, chunk)

    use_mask = mask is not None

    def block(lb, w0, w1, w2, mb):
        out = np.empty(lb.shape, dtype="float64")
        allocate_block(lb, w0, w1, w2, mb if use_mask else _NO_MASK, use_mask, choice, scale, out)
        return out

    return da.map_blocks(block, lab, *ws, m, dtype="float64", meta=np.empty((0, 0)), chunks=lab.chunks)


def allocate(labels, weights: dict, totals, mask=None, unit_names=None, chunk: int = 512,
             threads: int = 1) -> tuple[np.ndarray, dict]:
    """Allocate ``totals`` over the cells of each unit (both passes); returns (grid, record)."""
    choice, scale, record = plan(labels, weights, totals, mask=mask, unit_names=unit_names, chunk=chunk,
                                 threads=threads)
    grid = compute(allocate_lazy(labels, weights, choice, scale, mask=mask, chunk=chunk), threads=threads)[0]
    return grid, record
