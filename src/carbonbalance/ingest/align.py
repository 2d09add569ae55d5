"""Raster ingest and alignment onto the target grid (SPEC §2).

Every input raster is decoded (fill values, valid range, scale and offset),
converted to its canonical unit (:mod:`carbonbalance.ingest.units`) and resampled onto
the :class:`~carbonbalance.core.grid.GridSpec` block by block: each block reads only the
source window it needs, so memory is bounded by the block size and the number of
worker threads, never by the size of the region.

Resampling
----------
- continuous fields (NDVI, temperature, precipitation, radiation, night light),
  ``bilinear`` and ``nearest``: GDAL's kernels at positions computed once per source grid
  and stored (:mod:`carbonbalance.ingest.regrid`), every month of a variable in one pass;
  ``average``: GDAL through :func:`rasterio.warp.reproject`; fill values are masked
  *before* resampling;
- classes (land cover, land use): GDAL ``mode`` or ``nearest``;
- counts (population): ``sum`` — a total-preserving method written here, because
  GDAL's resamplers do not conserve totals exactly.  Every source pixel is split into
  k × k sub-pixels (k chosen so that sub-pixels are at most half a target cell wide)
  carrying 1/k² of its count; each sub-pixel goes to the target cell containing its
  centre.  Every source sub-pixel inside the grid lands in exactly one target cell,
  so the grid total equals the source total over the grid to floating-point
  precision.  Sub-pixel centres are interpolated between the PROJ-transformed pixel
  corners, and those near a cell edge transformed exactly, which puts every sub-pixel in
  the cell PROJ would (:func:`_subpixel_positions`).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Sequence

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.transform import array_bounds
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from carbonbalance.core.grid import GridSpec
from carbonbalance.ingest import regrid
from carbonbalance.ingest.checks import empty_stats
from carbonbalance.ingest.kernels import bin_subpixels, coverage, near_cell_edges, subpixel_centres
from carbonbalance.ingest.params import CLASS_VARIABLES, RasterInput, where
from carbonbalance.ingest.sources import open_reader
from carbonbalance.ingest.units import to_canonical


def decode(raw: np.ndarray, source: dict) -> tuple[np.ndarray, int, int]:
    """Raw stored values → physical values (float64, NaN where invalid).

    Applies the source's fill values (the config's or preset's and the file's own), the
    raw ``valid_range``, then ``value * scale + offset`` (the decoding fixed by
    :func:`carbonbalance.ingest.sources.decoding`).  Returns the values, the number of
    fill pixels and the number of pixels outside the valid range.
    """
    # float64 whatever the file's type: a product delivered as scaled integers then gives the
    # same aligned values as the same field delivered as physical floats
    raw = np.asarray(raw, dtype="float64")
    invalid = ~np.isfinite(raw)
    for f in source.get("fill") or ():
        if f is not None and np.isfinite(f):
            invalid |= raw == f
    n_fill = int(invalid.sum())
    out_of_range = np.zeros(raw.shape, dtype=bool)
    if source.get("valid_range") is not None:
        lo, hi = source["valid_range"]
        out_of_range = ~invalid & ((raw < lo) | (raw > hi))
    vals = raw * float(source.get("scale", 1.0)) + float(source.get("offset", 0.0))
    vals[invalid | out_of_range] = np.nan
    return vals, n_fill, int(out_of_range.sum())


def _source_window(src, src_crs, grid: GridSpec, rows: slice, cols: slice, pad: int = 2):
    """Window of ``src`` covering the grid block (padded), or None if they do not meet."""
    b = array_bounds(rows.stop - rows.start, cols.stop - cols.start, grid.block_transform(rows, cols))
    tb = transform_bounds(grid.crs, src_crs, *b, densify_pts=21)
    w = from_bounds(*tb, transform=src.transform)
    c0 = max(int(math.floor(w.col_off)) - pad, 0)
    r0 = max(int(math.floor(w.row_off)) - pad, 0)
    c1 = min(int(math.ceil(w.col_off + w.width)) + pad, src.width)
    r1 = min(int(math.ceil(w.row_off + w.height)) + pad, src.height)
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def _sum_preserving(vals, src_transform, src_crs, grid: GridSpec, rows: slice, cols: slice):
    """Total-preserving resampling of counts onto one grid block (see module docstring)."""
    nr, nc = rows.stop - rows.start, cols.stop - cols.start
    out = np.zeros(nr * nc, dtype="float64")
    h, w = vals.shape
    if h == 0 or w == 0:
        return out.reshape(nr, nc)
    tr = Transformer.from_crs(src_crs, grid.crs, always_xy=True)
    # size of one source pixel in grid units, near the window centre
    ci, cj = h // 2, w // 2
    px, py = src_transform @ (np.array([cj, cj + 1, cj]) + 0.5, np.array([ci, ci, ci + 1]) + 0.5)
    gx, gy = tr.transform(px, py)
    size = max(math.hypot(gx[1] - gx[0], gy[1] - gy[0]), math.hypot(gx[2] - gx[0], gy[2] - gy[0]))
    k = max(1, int(math.ceil(2.0 * size / grid.resolution)))
    sub = (np.arange(k) + 0.5) / k
    bt = grid.block_transform(rows, cols)
    x0, y0, res = bt.c, bt.f, grid.resolution
    step = max(1, int(2_000_000 // max(1, w * k * k)))  # source rows per batch: bounded memory
    for i0 in range(0, h, step):
        v = vals[i0 : i0 + step]
        ok = np.isfinite(v) & (v != 0)
        ii, jj = np.nonzero(ok)
        if ii.size == 0:
            continue
        share = v[ii, jj] / (k * k)
        X, Y = _subpixel_positions(tr, src_transform, i0, v.shape[0], w, ii, jj, sub, x0, y0, res)
        batch = np.zeros(nr * nc, dtype="float64")
        bin_subpixels(X, Y, share, x0, y0, res, nr, nc, batch)
        out += batch
    return out.reshape(nr, nc)


def _subpixel_positions(tr, src_transform, i0, nrow, ncol, ii, jj, sub, x0, y0, res):
    """Grid coordinates of the k x k sub-pixel centres of source pixels (i0 + ii, jj), pixel
    by pixel, sub-row, then sub-column.

    Equal to transforming every sub-pixel with PROJ as far as the target cell it falls in
    is concerned, at a (k² + 1)-th of the cost: positions are interpolated bilinearly
    between the transformed pixel corners, the interpolation error is measured on a sample
    of pixels against PROJ, and every sub-pixel closer to a cell edge than 100 times that
    error (at least 1e-6 of a cell) is transformed exactly."""
    k = sub.size
    a = np.repeat(sub, k)[None, :]  # row offset of sub-pixel a*k + b
    b = np.tile(sub, k)[None, :]  # column offset

    def exact(pi, pj, pa, pb):
        sx, sy = src_transform @ (pj + pb, pi + i0 + pa)
        gx, gy = tr.transform(sx, sy)
        return np.asarray(gx, dtype="float64"), np.asarray(gy, dtype="float64")

    cc, rr = np.meshgrid(np.arange(ncol + 1, dtype="float64"), np.arange(nrow + 1, dtype="float64") + i0)
    cx, cy = tr.transform(*(src_transform @ (cc, rr)))
    X, Y = np.empty((ii.size, k * k)), np.empty((ii.size, k * k))
    subpixel_centres(np.asarray(cx, dtype="float64"), np.asarray(cy, dtype="float64"), ii, jj, sub, X, Y)
    ii2, jj2 = ii[:, None], jj[:, None]
    sample = np.linspace(0, ii.size - 1, min(ii.size, 256)).astype(np.int64)
    ex, ey = exact(ii2[sample], jj2[sample], a, b)
    error = max(float(np.abs(ex - X[sample]).max()), float(np.abs(ey - Y[sample]).max()))
    margin = max(100.0 * error, 1e-6 * res)
    near = np.empty(X.shape, dtype=bool)
    if margin > 0.05 * res:  # a projection too curved at this pixel size: PROJ for all of them
        near[:] = True
    else:
        near_cell_edges(X, Y, x0, y0, res, margin, near)
    pi, pk = np.nonzero(near)
    X[pi, pk], Y[pi, pk] = exact(ii[pi], jj[pi], a[0, pk], b[0, pk])
    return X, Y


def _warp_options(source: dict) -> dict:
    """GDAL warp options: the resampling-kernel scale fixed from the whole grid.

    Without it GDAL derives the kernel scale from each block's source window, and a
    downsampled field depends on the block size.  GDAL's approximate coordinate
    transformer (error ≤ 0.125 source pixel) still leaves differences of a few
    hundredths of a source pixel between block sizes.
    """
    xs, ys = source["warp_scale"]
    return {"XSCALE": repr(float(xs)), "YSCALE": repr(float(ys))}


def align_block(
    spec: RasterInput,
    sources: Sequence[dict],
    year: int,
    grid: GridSpec,
    rows: slice,
    cols: slice,
    region=None,
    weights: dict | None = None,
    readers: Sequence | None = None,
) -> tuple[np.ndarray, dict]:
    """Align one grid block of every file in ``sources``; returns (data, stats).

    ``data`` has shape (n_files, rows, cols): float32 (NaN = no data) for continuous
    and count variables, int32 (−1 = no data) for classes.  ``region``: the grid's
    (ny, nx) bool mask of the cells assigned to units (None = every cell), over which
    the coverage and the distribution are counted.  ``weights``: {source grid key:
    :class:`~carbonbalance.ingest.regrid.Weights`} for the resamplings of
    :data:`~carbonbalance.ingest.regrid.METHODS` (None: computed for this block).
    ``readers``: the sources open (:func:`open_sources`), shared by the blocks of a task so
    that GDAL decodes a source tile once for all of them; None opens them for this block.
    """
    if readers is None:
        with open_sources(spec, sources, year) as readers:
            return align_block(spec, sources, year, grid, rows, cols, region, weights, readers)
    nr, nc = rows.stop - rows.start, cols.stop - cols.start
    is_class = spec.variable in CLASS_VARIABLES
    out = np.full((len(sources), nr, nc), -1 if is_class else np.nan, dtype="int32" if is_class else "float32")
    stats = empty_stats(len(sources), spec)
    if not is_class and spec.resampling in regrid.METHODS:
        _align_with_weights(spec, sources, year, grid, rows, cols, weights or {}, readers, out, stats)
    else:
        _align_with_gdal(spec, sources, year, grid, rows, cols, readers, out, stats)
    _coverage_and_distribution(out, spec, stats, None if region is None else region[rows, cols])
    return out, stats


@contextlib.contextmanager
def open_sources(spec: RasterInput, sources: Sequence[dict], year: int):
    """Every source open for reading (a list of readers, closed on exit)."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                open_reader(
                    s["files"], s["variable"], s["band"], where(spec, s["path"], s["month"], year), crs=s["crs"]
                )
            )
            for s in sources
        ]


def _read(src, s: dict, k: int, win: Window, stats: dict) -> np.ndarray:
    """The window of source ``k`` (open as ``src``), decoded (NaN = no data); counts go to ``stats``."""
    raw = src.read(win)
    vals, n_fill, n_oor = decode(raw, s)
    stats["n_read"][k] = int(raw.size)
    stats["n_fill"][k] = n_fill
    stats["n_out_of_range"][k] = n_oor
    return vals


def _extremes(vals: np.ndarray, k: int, stats: dict) -> None:
    if np.isfinite(vals).any():
        stats["min"][k] = float(np.nanmin(vals))
        stats["max"][k] = float(np.nanmax(vals))


def _align_with_weights(spec, sources, year, grid, rows, cols, weights, readers, out, stats) -> None:
    """Continuous fields by stored positions: every file of one source grid in one kernel call."""
    groups: dict[str, list[int]] = {}
    grids = {}
    for k, s in enumerate(sources):
        sg = regrid.SourceGrid.of(s)
        key = sg.key(grid)
        groups.setdefault(key, []).append(k)
        grids[key] = sg
    for key, ks in groups.items():
        sg = grids[key]
        w = weights.get(key) or regrid.Weights(sg, grid)
        sx, sy = w.block(rows, cols)
        scale = sources[ks[0]]["warp_scale"]
        win = regrid.support(sx, sy, sg, scale, spec.resampling)
        if win is None:
            continue
        stack = np.empty((win.height, win.width, len(ks)), dtype="float32")  # layers innermost
        for i, k in enumerate(ks):
            s = sources[k]
            vals = to_canonical(_read(readers[k], s, k, win, stats), spec.variable, s["units"], year, s["month"])
            _extremes(vals, k, stats)
            stack[:, :, i] = vals
        out[ks] = regrid.resample(stack, sx, sy, win, scale, spec.resampling)


def _align_with_gdal(spec, sources, year, grid, rows, cols, readers, out, stats) -> None:
    """Classes, averages and counts: GDAL's warper (``sum``: :func:`_sum_preserving`)."""
    nr, nc = rows.stop - rows.start, cols.stop - cols.start
    is_class = spec.variable in CLASS_VARIABLES
    dst_transform = grid.block_transform(rows, cols)
    # rasterio warns spuriously from worker threads although both transforms are given
    warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)
    for k, s in enumerate(sources):
        crs = s["crs"]
        src = readers[k]
        win = _source_window(src, crs, grid, rows, cols)
        if win is None:
            continue
        src_tr = src.window_transform(win)
        vals = _read(src, s, k, win, stats)
        if is_class:
            codes = np.where(np.isnan(vals), -1, np.round(vals)).astype("int32")
            stats["codes"].update(int(c) for c in np.unique(codes) if c != -1)
            dst = np.full((nr, nc), -1, dtype="int32")
            reproject(
                codes,
                dst,
                src_transform=src_tr,
                src_crs=crs,
                src_nodata=-1,
                dst_transform=dst_transform,
                dst_crs=grid.crs,
                dst_nodata=-1,
                resampling=Resampling[spec.resampling],
                **_warp_options(s),
            )
            out[k] = dst
            continue
        vals = to_canonical(vals, spec.variable, s["units"], year, s["month"])
        _extremes(vals, k, stats)
        if spec.resampling == "sum":
            dst = _sum_preserving(vals, src_tr, crs, grid, rows, cols)
            stats["total"][k] = float(dst.sum())
        else:
            dst = np.full((nr, nc), np.nan, dtype="float64")
            reproject(
                vals,
                dst,
                src_transform=src_tr,
                src_crs=crs,
                src_nodata=np.nan,
                dst_transform=dst_transform,
                dst_crs=grid.crs,
                dst_nodata=np.nan,
                resampling=Resampling[spec.resampling],
                **_warp_options(s),
            )
        out[k] = dst


def _coverage_and_distribution(out: np.ndarray, spec: RasterInput, stats: dict, region) -> None:
    """Count the region's cells without data per file, and histogram the variable's checked
    statistic over the region's cells (see :class:`Distribution`)."""
    inside = np.ones(out.shape[1:], dtype=bool) if region is None else np.asarray(region, dtype=bool)
    n = int(inside.sum())
    d = spec.distribution
    for k in range(out.shape[0]):
        stats["n_region"][k] = n
    if spec.variable in CLASS_VARIABLES or d is None:
        missing = (out < 0) if spec.variable in CLASS_VARIABLES else ~np.isfinite(out)
        for k in range(out.shape[0]):
            stats["n_region_nodata"][k] = int((missing[k] & inside).sum())
        return
    lo, hi, nbins = d.bins
    edges = np.linspace(lo, hi, int(nbins) + 1)  # numpy.histogram's edges
    nodata = np.zeros(out.shape[0], dtype="int64")
    hist = np.zeros(int(nbins), dtype="int64")
    coverage(np.ascontiguousarray(out, dtype="float32"), inside, _PER_CELL[d.per_cell], edges, nodata, hist)
    for k in range(out.shape[0]):
        stats["n_region_nodata"][k] = int(nodata[k])
    stats["histogram"] += hist


_PER_CELL = {"values": 0, "mean": 1, "sum": 2}
