"""Numba kernels of the alignment: GDAL's bilinear and nearest resampling applied at known
source positions, to every layer of a stack at once (:mod:`carbonbalance.ingest.regrid`).

The bilinear kernel is GDAL's (``alg/gdalwarpkernel.cpp``), so that the aligned values equal
``gdalwarp -r bilinear`` with an exact coordinate transformation:

- the kernel scale ``s`` (GDAL's ``XSCALE``/``YSCALE``, < 1 when the grid is coarser than
  the source) widens the triangle filter: weight ``max(0, 1 - |d| min(s, 1))`` at distance
  ``d`` source pixels, from the pixel centres below and above the position; at ``s ≥ 0.95``
  in both directions GDAL uses the plain 2 × 2 bilinear weights instead;
- no-data pixels (NaN) take no weight and the others are renormalised (unless their sum is
  1, within 1e-5 for the widened filter, as GDAL does); a cell gets no data
  when the source pixel under its centre is no data, when it lies outside the source, or
  when the valid weights sum to less than 1e-5;
- pixels outside the source raster take no weight.

The resampling kernels take ``stack`` (rows, cols, layers) float32 with NaN as no data (the
layers innermost, so that the weights of a cell are computed once and applied to every
layer from contiguous memory), the source positions ``sx``, ``sy`` (column and row, pixel
edges at integers, so a pixel's centre is at ``i + 0.5``) of ``n`` cells, and write ``out``
(layers, n).
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def _taps(x, scale, four, weights):
    """First source index and the weights of the pixels around position ``x`` (one axis);
    returns (first index, number of taps)."""
    i0 = int(math.floor(x - 0.5))
    d = x - 0.5 - i0  # distance from the centre of pixel i0, in [0, 1)
    if four:
        weights[0] = 1.0 - d
        weights[1] = d
        return i0, 2
    # GDAL: taps i0 + k for k in (1 - r, ..., r), r = ceil(1 / s); keep the non-zero ones
    r = int(math.ceil(1.0 / scale))
    first = 0
    n = 0
    for k in range(1 - r, r + 1):
        a = abs(k - d) * scale
        w = 1.0 - a if a < 1.0 else 0.0
        if w > 0.0:
            if n == 0:
                first = i0 + k
            weights[n] = w
            n += 1
    return first, n


@numba.njit(nogil=True, cache=True)
def bilinear(stack, sx, sy, xscale, yscale, out):
    """GDAL's bilinear resampling of every layer of ``stack`` at the positions (sx, sy)."""
    H, W, L = stack.shape
    four = xscale >= 0.95 and yscale >= 0.95
    xscale = min(xscale, 1.0)  # GDAL widens the filter of a coarser grid but never narrows it
    yscale = min(yscale, 1.0)
    nmax = 2 * int(math.ceil(1.0 / min(xscale, yscale, 1.0))) + 2
    wx = np.empty(nmax)
    wy = np.empty(nmax)
    acc = np.empty(L)
    wsum = np.empty(L)
    for k in range(sx.shape[0]):
        x = sx[k]
        y = sy[k]
        if not (x >= 0.0 and x < W and y >= 0.0 and y < H):  # also False for NaN
            for layer in range(L):
                out[layer, k] = np.nan
            continue
        cx = int(math.floor(x))
        cy = int(math.floor(y))
        i0, nx = _taps(x, xscale, four, wx)
        j0, ny = _taps(y, yscale, four, wy)
        for layer in range(L):
            acc[layer] = 0.0
            wsum[layer] = 0.0
        for j in range(ny):
            r = j0 + j
            if r < 0 or r >= H:
                continue
            for i in range(nx):
                c = i0 + i
                if c < 0 or c >= W:
                    continue
                w = wy[j] * wx[i]
                for layer in range(L):  # branch-free over the layers (no data: v != v)
                    v = stack[r, c, layer]
                    ok = v == v
                    acc[layer] += (v if ok else np.float32(0.0)) * w
                    wsum[layer] += w if ok else 0.0
        for layer in range(L):
            s = wsum[layer]
            if math.isnan(stack[cy, cx, layer]) or s < 1e-5:
                out[layer, k] = np.nan
            elif (four and s == 1.0) or (not four and 0.99999 <= s <= 1.00001):
                out[layer, k] = acc[layer]  # GDAL leaves (nearly) complete weights unnormalised
            else:
                out[layer, k] = acc[layer] / s


@numba.njit(nogil=True, cache=True)
def nearest(stack, sx, sy, out):
    """The value of the source pixel under each position (GDAL ``nearest``)."""
    H, W, L = stack.shape
    for k in range(sx.shape[0]):
        x = sx[k]
        y = sy[k]
        if not (x >= 0.0 and x < W and y >= 0.0 and y < H):
            for layer in range(L):
                out[layer, k] = np.nan
            continue
        c = int(math.floor(x))
        r = int(math.floor(y))
        for layer in range(L):
            out[layer, k] = stack[r, c, layer]


@numba.njit(nogil=True, cache=True)
def coverage(out, inside, per_cell, edges, nodata, hist):
    """Count each layer's cells without data inside the region (``nodata``, per layer) and
    histogram the region's values into ``hist`` over the uniform bins ``edges`` (values
    clipped to them; a value on an edge may land in either bin, as floating point decides):
    every finite cell-layer (``per_cell`` 0), or the mean (1) or sum (2) of each cell whose
    layers are all finite."""
    L, nr, nc = out.shape
    nb = hist.shape[0]
    lo = edges[0]
    hi = edges[nb]
    norm = nb / (hi - lo)
    whole = per_cell != 0  # a statistic of each cell's layers, counted once they are all read
    total = np.zeros((nr, nc) if whole else (1, 1))
    complete = inside.copy()
    for layer in range(L):  # layer by layer: contiguous reads
        for i in range(nr):
            for j in range(nc):
                if inside[i, j]:
                    v = out[layer, i, j]
                    if math.isnan(v):
                        nodata[layer] += 1
                        complete[i, j] = False
                    elif whole:
                        total[i, j] += float(v)
                    else:
                        _count(float(v), lo, hi, norm, edges, hist)
    if not whole:
        return
    for i in range(nr):
        for j in range(nc):
            if complete[i, j] and L > 0:
                _count(total[i, j] / L if per_cell == 1 else total[i, j], lo, hi, norm, edges, hist)


@numba.njit(nogil=True, cache=True)
def _count(v, lo, hi, norm, edges, hist):
    """Add ``v`` (clipped to [lo, hi]) to its bin; ``hi`` goes to the last bin."""
    nb = hist.shape[0]
    b = int((min(max(v, lo), hi) - lo) * norm)
    if b >= nb:
        b = nb - 1
    hist[b] += 1


# -- total-preserving resampling of counts (carbonbalance.ingest.align._sum_preserving) ---------


@numba.njit(nogil=True, cache=True)
def subpixel_centres(cx, cy, ii, jj, sub, X, Y):
    """Grid coordinates of the k x k sub-pixel centres of source pixels (ii, jj), interpolated
    bilinearly between the pixel's transformed corners ``cx``, ``cy`` ((rows + 1, cols + 1));
    sub-pixel ``a * k + b`` sits at row offset ``sub[a]`` and column offset ``sub[b]``.  The
    arithmetic of the numpy expression it replaces, term by term."""
    k = sub.shape[0]
    for p in range(ii.shape[0]):
        i, j = ii[p], jj[p]
        x00, x01, x10, x11 = cx[i, j], cx[i, j + 1], cx[i + 1, j], cx[i + 1, j + 1]
        y00, y01, y10, y11 = cy[i, j], cy[i, j + 1], cy[i + 1, j], cy[i + 1, j + 1]
        for q in range(k * k):
            a = sub[q // k]
            b = sub[q % k]
            w00, w01, w10, w11 = (1 - a) * (1 - b), (1 - a) * b, a * (1 - b), a * b
            X[p, q] = w00 * x00 + w01 * x01 + w10 * x10 + w11 * x11
            Y[p, q] = w00 * y00 + w01 * y01 + w10 * y10 + w11 * y11


@numba.njit(nogil=True, cache=True)
def near_cell_edges(X, Y, x0, y0, res, margin, near):
    """near[p, q]: the sub-pixel lies closer than ``margin`` to an edge of the grid's cells."""
    for p in range(X.shape[0]):
        for q in range(X.shape[1]):
            fx = (X[p, q] - x0) / res
            fy = (y0 - Y[p, q]) / res
            dx = min(fx - math.floor(fx), math.ceil(fx) - fx) * res
            dy = min(fy - math.floor(fy), math.ceil(fy) - fy) * res
            near[p, q] = dx < margin or dy < margin


@numba.njit(nogil=True, cache=True)
def bin_subpixels(X, Y, share, x0, y0, res, nr, nc, out):
    """out[r * nc + c] += share[p] for every sub-pixel q of pixel p whose centre lies in cell
    (r, c) of the block, in the order ``np.bincount`` sums them."""
    for p in range(X.shape[0]):
        for q in range(X.shape[1]):
            c = math.floor((X[p, q] - x0) / res)
            r = math.floor((y0 - Y[p, q]) / res)
            if 0 <= c < nc and 0 <= r < nr:
                out[r * nc + c] += share[p]
