"""Numba kernels of the zonal sums: runs of equal labels along rows, and the sparse pieces
of the partly covered cells (see :mod:`carbonbalance.zonal.engine`)."""

from __future__ import annotations

import numba
import numpy as np

from carbonbalance.core.runs import run_end


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
def month_reduce(values, mean, out):
    """out[i, j] = mean (or sum, ``mean`` False) over the leading axis of the finite values
    of a cell, NaN where none is; summed in month order in float64, as ``np.nanmean`` /
    ``np.nansum`` sum along that axis."""
    nm, ny, nx = values.shape
    for i in range(ny):
        for j in range(nx):
            s = 0.0
            n = 0
            for m in range(nm):
                x = np.float64(values[m, i, j])
                if x == x:
                    s += x
                    n += 1
            if n == 0:
                out[i, j] = np.nan
            else:
                out[i, j] = s / n if mean else s


@numba.njit(nogil=True, cache=True)
def label_sums(labels, values, weight, use_weight, row0, n_units, sums, counts):
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
def sparse_sums(cell, unit, fraction, values_flat, weight_flat, use_weight, offset, n_units, sums, counts):
    """sums[u] += f·v·w, counts[u] += f over the sparse entries (cells relative to ``offset``)."""
    for k in range(cell.shape[0]):
        c = cell[k] - offset
        v = values_flat[c]
        if v == v:
            f = fraction[k]
            sums[unit[k]] += f * v * (weight_flat[c] if use_weight else 1.0)
            counts[unit[k]] += f


@numba.njit(nogil=True, cache=True)
def label_class_sums(labels, classes, weight, n_units, n_classes, sums):
    """sums[u, k] += w for the cells of label u and class k (class -1 skipped)."""
    for i in range(labels.shape[0]):
        for j in range(labels.shape[1]):
            u = labels[i, j]
            k = classes[i, j]
            if u >= 0 and k >= 0:
                sums[u, k] += weight[i, j]


@numba.njit(nogil=True, cache=True)
def sparse_class_sums(cell, unit, fraction, classes_flat, weight_flat, offset, sums):
    for k in range(cell.shape[0]):
        c = cell[k] - offset
        cl = classes_flat[c]
        if cl >= 0:
            sums[unit[k], cl] += fraction[k] * weight_flat[c]
