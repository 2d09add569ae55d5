"""Raster ingest and alignment onto the target grid (SPEC §2).

Every input raster is decoded (fill values, valid range, scale and offset),
converted to its canonical unit (:mod:`carbonbalance.units`) and resampled onto
the :class:`~carbonbalance.grid.GridSpec` block by block: each block reads only the
source window it needs, so memory is bounded by the block size and the number of
worker threads, never by the size of the region.

Resampling
----------
- continuous fields (NDVI, temperature, precipitation, radiation, night light):
  GDAL ``bilinear`` / ``average`` / ``nearest`` through :func:`rasterio.warp.reproject`,
  with fill values masked *before* resampling;
- classes (land cover, land use): GDAL ``mode`` or ``nearest``;
- counts (population): ``sum`` — a total-preserving method written here, because
  GDAL's resamplers do not conserve totals exactly.  Every source pixel is split into
  k × k sub-pixels (k chosen so that sub-pixels are at most half a target cell wide)
  carrying 1/k² of its count; each sub-pixel goes to the target cell containing its
  centre.  Every source sub-pixel inside the grid lands in exactly one target cell,
  so the grid total equals the source total over the grid to floating-point
  precision.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import warnings
from dataclasses import dataclass
from typing import Sequence

import dask
import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.transform import array_bounds
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from carbonbalance.errors import ConfigError, InputError
from carbonbalance.grid import GridSpec
from carbonbalance.parallel import compute
from carbonbalance.store import atomic_output, create_store, finalize_store, write_block
from carbonbalance.units import canonical_unit, to_canonical

log = logging.getLogger(__name__)

MONTHLY = ("ndvi", "temperature", "precipitation", "radiation")
ANNUAL = ("landcover", "landuse", "nightlight", "population")
CLASS_VARIABLES = ("landcover", "landuse")
CONTINUOUS_RESAMPLING = ("bilinear", "average", "nearest", "cubic")
CLASS_RESAMPLING = ("mode", "nearest")
COUNT_RESAMPLING = ("sum",)

#: Physically plausible range after decoding and unit conversion.  A value outside it
#: almost always means a wrong scale factor or unit in the config.
PLAUSIBLE = {
    "ndvi": (-1.5, 1.5),
    "temperature": (-80.0, 60.0),
    "precipitation": (0.0, 3000.0),
    "radiation": (0.0, 1500.0),
    "nightlight": (0.0, math.inf),
    "population": (0.0, math.inf),
}

_HINTS = {
    "ndvi": "NDVI looks scaled: set inputs.ndvi.scale (0.0001 for MOD13A3 int16 NDVI)",
    "temperature": "temperature looks scaled or in Kelvin: check inputs.temperature.scale "
                   "(0.1 for products in 0.1 °C) and inputs.temperature.units",
    "precipitation": "precipitation out of range: check inputs.precipitation.scale and units",
    "radiation": "radiation out of range: check inputs.radiation.units ('W m-2' mean, "
                 "'J m-2' or 'MJ m-2' monthly total) and scale",
    "nightlight": "negative night light: check inputs.nightlight.fill and valid_range",
    "population": "negative population counts: check inputs.population.fill and valid_range",
}


@dataclass(frozen=True)
class Distribution:
    """A check of one variable-year's distribution over the region's cells, after decoding
    and unit conversion (a wrong unit or scale shifts the whole distribution, not only
    its extremes).  ``per_cell``: the statistic of every cell-month (``values``) or of
    each cell's 12 months (``mean``, ``sum``); ``q``: the percentile checked; ``bins``:
    the histogram (lo, hi, n) that gives it (error below one bin)."""

    statistic: str
    per_cell: str
    q: float
    plausible: tuple
    bins: tuple
    hint: str


DISTRIBUTIONS = {
    "ndvi": Distribution("the 95th percentile of NDVI over the region's cell-months", "values", 95, (0.2, 1.0),
                         (-1.0, 1.0, 4000), "NDVI already in 0-1 declared with a scale factor (inputs.ndvi.scale), "
                         "or a wrong fill value"),
    "temperature": Distribution("the median annual mean temperature of the region's cells (degC)", "mean", 50,
                                (-25.0, 35.0), (-100.0, 100.0, 4000),
                                "check inputs.temperature.units (degC or K) and scale (0.1 for 0.1 degC)"),
    "precipitation": Distribution("the median annual precipitation of the region's cells (mm yr-1)", "sum", 50,
                                  (10.0, 6000.0), (0.0, 30000.0, 6000),
                                  "check inputs.precipitation.units (mm month-1, mm day-1, m, m day-1) and scale"),
    "radiation": Distribution("the median annual solar radiation of the region's cells (MJ m-2 yr-1; China "
                              "roughly 3,000-7,000)", "sum", 50, (2500.0, 9000.0), (0.0, 40000.0, 8000),
                              "check inputs.radiation.units ('W m-2' monthly mean, 'MJ m-2' or 'J m-2' monthly "
                              "total, 'J m-2 day-1') and scale"),
}


@dataclass(frozen=True)
class RasterInput:
    """How to read one input variable (one ``inputs.<variable>`` config entry).

    ``path`` is a pattern formatted with ``year`` and, for monthly variables,
    ``month`` (an int, so ``{month:02d}`` works).  ``fill`` and ``valid_range``
    refer to the raw stored values, before ``scale`` and ``offset``.
    """

    variable: str
    path: str
    units: str
    resampling: str
    scale: float = 1.0
    offset: float = 0.0
    fill: tuple = ()
    valid_range: tuple | None = None
    crs: str | None = None
    max_invalid_share: float = 0.01
    max_nodata_share: float = 0.1
    plausible_range: tuple | None = None

    @classmethod
    def from_config(cls, variable: str, cfg: dict) -> "RasterInput":
        if variable not in MONTHLY + ANNUAL:
            raise ConfigError(f"inputs.{variable}: unknown input variable")
        allowed = (CLASS_RESAMPLING if variable in CLASS_VARIABLES
                   else COUNT_RESAMPLING if variable == "population" else CONTINUOUS_RESAMPLING)
        resampling = cfg.get("resampling", allowed[0])
        if resampling not in allowed:
            raise ConfigError(f"inputs.{variable}.resampling: {resampling!r} is not allowed for "
                              f"{variable}; use one of {list(allowed)}")
        vr = cfg.get("valid_range")
        return cls(variable=variable, path=str(cfg["path"]), units=str(cfg.get("units", "")),
                   resampling=resampling, scale=float(cfg.get("scale", 1.0)),
                   offset=float(cfg.get("offset", 0.0)),
                   fill=tuple(float(f) for f in (cfg.get("fill") or ())),
                   valid_range=tuple(float(v) for v in vr) if vr else None,
                   crs=cfg.get("crs"), max_invalid_share=float(cfg.get("max_invalid_share", 0.01)),
                   max_nodata_share=float(cfg.get("max_nodata_share", 0.1)),
                   plausible_range=tuple(float(v) for v in cfg["plausible_range"])
                   if cfg.get("plausible_range") else None)

    @property
    def distribution(self) -> Distribution | None:
        """The distribution check of this variable, with the config's plausible range."""
        d = DISTRIBUTIONS.get(self.variable)
        if d is None or self.plausible_range is None:
            return d
        return dataclasses.replace(d, plausible=self.plausible_range)

    @property
    def monthly(self) -> bool:
        return self.variable in MONTHLY

    def paths(self, year: int) -> list[tuple[int | None, str]]:
        """(month, path) pairs for ``year``: 12 for monthly variables, one otherwise."""
        try:
            if self.monthly:
                return [(m, self.path.format(year=int(year), month=m)) for m in range(1, 13)]
            return [(None, self.path.format(year=int(year)))]
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"inputs.{self.variable}.path: cannot format {self.path!r} "
                              f"with year (and month): {exc}") from exc


def input_paths(cfg_inputs: dict, variable: str, year: int) -> list[str]:
    """The files a rule needs for ``variable`` and ``year`` (used by the Snakefile)."""
    return [p for _, p in RasterInput.from_config(variable, cfg_inputs[variable]).paths(year)]


def _where(spec: RasterInput, path: str, month: int | None, year: int | None = None) -> str:
    when = f" (year {year}, month {month:02d})" if month is not None and year is not None else ""
    return f"{spec.variable}: {path}{when}"


# ------------------------------------------------------------------------ checks
def check_sources(spec: RasterInput, year: int, grid: GridSpec) -> list[dict]:
    """Check that every file of ``spec`` for ``year`` exists, has a CRS and overlaps the grid.

    Returns one description per file (CRS, resolution, size, nodata).  All missing
    files are reported in one error.
    """
    pairs = spec.paths(year)
    missing = [(m, p) for m, p in pairs if not os.path.exists(p)]
    if missing:
        listed = "; ".join((f"month {m:02d}: {p}" if m else p) for m, p in missing)
        raise InputError(f"{spec.variable}: missing input file(s) for {year}: {listed}")
    described = []
    for month, path in pairs:
        try:
            src = rasterio.open(path)
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"{_where(spec, path, month, year)}: cannot be read as a raster: {exc}") from exc
        with src:
            crs = src.crs.to_wkt() if src.crs else spec.crs
            if not crs:
                raise InputError(f"{_where(spec, path, month, year)}: raster has no CRS; "
                                 f"fix the file or set inputs.{spec.variable}.crs in the config")
            gb = transform_bounds(grid.crs, crs, *grid.bounds, densify_pts=21)
            sb = src.bounds
            if not (sb.left < gb[2] and sb.right > gb[0] and sb.bottom < gb[3] and sb.top > gb[1]):
                raise InputError(
                    f"{_where(spec, path, month, year)}: raster does not overlap the region: raster "
                    f"bounds {tuple(round(b, 4) for b in sb)} vs region bounds "
                    f"{tuple(round(b, 4) for b in gb)} in the raster's CRS")
            # GDAL scales resampling kernels by the destination/source pixel ratio of the
            # chunk it warps; fixing it from the whole grid makes results chunk-independent.
            xscale = grid.width / max((gb[2] - gb[0]) / abs(src.res[0]), 1e-9)
            yscale = grid.height / max((gb[3] - gb[1]) / abs(src.res[1]), 1e-9)
            described.append({"path": path, "month": month, "crs": crs,
                              "warp_scale": [xscale, yscale],
                              "resolution": list(src.res), "shape": [src.height, src.width],
                              "dtype": src.dtypes[0], "nodata": src.nodata})
    return described


def decode(raw: np.ndarray, spec: RasterInput, nodata=None) -> tuple[np.ndarray, int, int]:
    """Raw stored values → physical values (float64, NaN where invalid).

    Applies fill values (config ``fill`` and the file's nodata), the raw
    ``valid_range``, then ``value * scale + offset``.  Returns the values, the number
    of fill pixels and the number of pixels outside the valid range.
    """
    raw = np.asarray(raw, dtype="float64")
    invalid = ~np.isfinite(raw)
    fills = list(spec.fill) + ([nodata] if nodata is not None else [])
    for f in fills:
        if f is not None and np.isfinite(f):
            invalid |= raw == f
    n_fill = int(invalid.sum())
    out_of_range = np.zeros(raw.shape, dtype=bool)
    if spec.valid_range is not None:
        lo, hi = spec.valid_range
        out_of_range = ~invalid & ((raw < lo) | (raw > hi))
    vals = raw * spec.scale + spec.offset
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
        v = vals[i0:i0 + step]
        ok = np.isfinite(v) & (v != 0)
        ii, jj = np.nonzero(ok)
        if ii.size == 0:
            continue
        share = v[ii, jj] / (k * k)
        ci = (ii[:, None] + i0 + sub[None, :]).repeat(k, axis=1)            # rows of sub-pixels
        cj = np.tile(jj[:, None] + sub[None, :], (1, k))                     # cols of sub-pixels
        sx, sy = src_transform @ (cj.ravel(), ci.ravel())
        X, Y = tr.transform(sx, sy)
        c = np.floor((np.asarray(X) - x0) / res).astype(np.int64)
        r = np.floor((y0 - np.asarray(Y)) / res).astype(np.int64)
        inside = (c >= 0) & (c < nc) & (r >= 0) & (r < nr)
        wts = np.repeat(share, k * k)[inside]
        out += np.bincount(r[inside] * nc + c[inside], weights=wts, minlength=nr * nc)
    return out.reshape(nr, nc)


def _warp_options(source: dict) -> dict:
    """GDAL warp options: the resampling-kernel scale fixed from the whole grid.

    Without it GDAL derives the kernel scale from each block's source window, and a
    downsampled field depends on the block size.  GDAL's approximate coordinate
    transformer (error ≤ 0.125 source pixel) still leaves differences of a few
    hundredths of a source pixel between block sizes.
    """
    xs, ys = source["warp_scale"]
    return {"XSCALE": repr(float(xs)), "YSCALE": repr(float(ys))}


def _read_window(src, window, path: str, where: str) -> np.ndarray:
    """Band 1 of ``window``; a read failure (a corrupt tile) names the file and the window."""
    try:
        return src.read(1, window=window)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{where}: reading rows {window.row_off}-{window.row_off + window.height} and columns "
                         f"{window.col_off}-{window.col_off + window.width} of {path} failed ({exc}); the file is "
                         f"damaged (a corrupt tile?): download it again") from exc


def align_block(spec: RasterInput, sources: Sequence[dict], year: int, grid: GridSpec,
                rows: slice, cols: slice, region=None) -> tuple[np.ndarray, dict]:
    """Align one grid block of every file in ``sources``; returns (data, stats).

    ``data`` has shape (n_files, rows, cols): float32 (NaN = no data) for continuous
    and count variables, int32 (−1 = no data) for classes.  ``region``: the grid's
    (ny, nx) bool mask of the cells assigned to units (None = every cell), over which
    the coverage and the distribution are counted.
    """
    nr, nc = rows.stop - rows.start, cols.stop - cols.start
    is_class = spec.variable in CLASS_VARIABLES
    out = np.full((len(sources), nr, nc), -1 if is_class else np.nan,
                  dtype="int32" if is_class else "float32")
    stats = _empty_stats(len(sources), spec)
    dst_transform = grid.block_transform(rows, cols)
    # rasterio warns spuriously from worker threads although both transforms are given
    warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)
    for k, s in enumerate(sources):
        with rasterio.open(s["path"]) as src:
            crs = s["crs"]
            win = _source_window(src, crs, grid, rows, cols)
            if win is None:
                continue
            raw = _read_window(src, win, s["path"], _where(spec, s["path"], s["month"], year))
            src_tr = src.window_transform(win)
            vals, n_fill, n_oor = decode(raw, spec, src.nodata)
        stats["n_read"][k] = int(raw.size)
        stats["n_fill"][k] = n_fill
        stats["n_out_of_range"][k] = n_oor
        if is_class:
            codes = np.where(np.isnan(vals), -1, np.round(vals)).astype("int32")
            stats["codes"].update(int(c) for c in np.unique(codes) if c != -1)
            dst = np.full((nr, nc), -1, dtype="int32")
            reproject(codes, dst, src_transform=src_tr, src_crs=crs, src_nodata=-1,
                      dst_transform=dst_transform, dst_crs=grid.crs, dst_nodata=-1,
                      resampling=Resampling[spec.resampling], **_warp_options(s))
            out[k] = dst
            continue
        vals = to_canonical(vals, spec.variable, spec.units, year, s["month"])
        if np.isfinite(vals).any():
            stats["min"][k] = float(np.nanmin(vals))
            stats["max"][k] = float(np.nanmax(vals))
        if spec.resampling == "sum":
            dst = _sum_preserving(vals, src_tr, crs, grid, rows, cols)
            stats["total"][k] = float(dst.sum())
        else:
            dst = np.full((nr, nc), np.nan, dtype="float64")
            reproject(vals, dst, src_transform=src_tr, src_crs=crs, src_nodata=np.nan,
                      dst_transform=dst_transform, dst_crs=grid.crs, dst_nodata=np.nan,
                      resampling=Resampling[spec.resampling], **_warp_options(s))
        out[k] = dst
    _coverage_and_distribution(out, spec, stats, None if region is None else region[rows, cols])
    return out, stats


def _coverage_and_distribution(out: np.ndarray, spec: RasterInput, stats: dict, region) -> None:
    """Count the region's cells without data per file, and histogram the variable's checked
    statistic over the region's cells (see :class:`Distribution`)."""
    inside = np.ones(out.shape[1:], dtype=bool) if region is None else np.asarray(region, dtype=bool)
    n = int(inside.sum())
    missing = (out < 0) if spec.variable in CLASS_VARIABLES else ~np.isfinite(out)
    for k in range(out.shape[0]):
        stats["n_region"][k] = n
        stats["n_region_nodata"][k] = int((missing[k] & inside).sum())
    d = spec.distribution
    if d is None or n == 0:
        return
    v = out[:, inside].astype("float64")  # (files, cells)
    if d.per_cell == "values":
        v = v[np.isfinite(v)]
    else:
        complete = np.isfinite(v).all(axis=0)
        v = (v[:, complete].mean(axis=0) if d.per_cell == "mean" else v[:, complete].sum(axis=0))
    lo, hi, nbins = d.bins
    stats["histogram"] += np.histogram(np.clip(v, lo, hi), bins=int(nbins), range=(lo, hi))[0]


def _empty_stats(n: int, spec: RasterInput | None = None) -> dict:
    """Per-file counters of one block (or of the whole grid once merged)."""
    d = None if spec is None else spec.distribution
    return {"n_read": [0] * n, "n_fill": [0] * n, "n_out_of_range": [0] * n,
            "min": [np.inf] * n, "max": [-np.inf] * n, "codes": set(), "total": [0.0] * n,
            "n_region": [0] * n, "n_region_nodata": [0] * n,
            "histogram": np.zeros(int(d.bins[2]) if d else 0, dtype="int64")}


def _merge_stats(parts: list[dict], n: int, spec: RasterInput | None = None) -> dict:
    merged = _empty_stats(n, spec)
    for p in parts:
        for k in range(n):
            for key in ("n_read", "n_fill", "n_out_of_range", "total", "n_region", "n_region_nodata"):
                merged[key][k] += p[key][k]
            merged["min"][k] = min(merged["min"][k], p["min"][k])
            merged["max"][k] = max(merged["max"][k], p["max"][k])
        merged["codes"] |= p["codes"]
        merged["histogram"] += p["histogram"]
    return merged


def histogram_percentile(counts: np.ndarray, q: float, lo: float, hi: float) -> float:
    """The ``q``-th percentile of values binned in ``counts`` on [lo, hi] (bin centre)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(counts), q / 100.0 * total))
    width = (hi - lo) / len(counts)
    return float(lo + (min(k, len(counts) - 1) + 0.5) * width)


def distribution_value(spec: RasterInput, stats: dict) -> float | None:
    """The checked statistic of the variable-year (None when the variable has no check)."""
    d = spec.distribution
    if d is None or not stats["histogram"].sum():
        return None
    return histogram_percentile(stats["histogram"], d.q, d.bins[0], d.bins[1])


def _validate(spec: RasterInput, sources: list[dict], stats: dict, year: int,
              class_codes: Sequence[int] | None) -> None:
    for k, s in enumerate(sources):
        where = _where(spec, s["path"], s["month"], year)
        read, oor = stats["n_read"][k], stats["n_out_of_range"][k]
        if read and oor / read > spec.max_invalid_share:
            raise InputError(
                f"{where}: {oor} of {read} pixels ({100 * oor / read:.2f} %) are outside the valid "
                f"range {spec.valid_range} (raw values); the limit is "
                f"inputs.{spec.variable}.max_invalid_share = {spec.max_invalid_share}")
        if spec.variable in PLAUSIBLE and np.isfinite(stats["min"][k]):
            lo, hi = PLAUSIBLE[spec.variable]
            vmin, vmax = stats["min"][k], stats["max"][k]
            if vmin < lo or vmax > hi:
                raise InputError(
                    f"{where}: values from {vmin:.6g} to {vmax:.6g} after scale {spec.scale} "
                    f"and unit conversion from {spec.units!r} are outside the plausible range "
                    f"[{lo}, {hi}]; {_HINTS[spec.variable]}")
    if spec.variable in CLASS_VARIABLES and class_codes is not None:
        unknown = sorted(set(stats["codes"]) - {int(c) for c in class_codes})
        if unknown:
            key = "landcover_classes" if spec.variable == "landcover" else "landuse_classes"
            raise InputError(
                f"{spec.variable}: {sources[0]['path']}: class code(s) {unknown} are not in the "
                f"mapping table {key} of the config (known codes: {sorted(int(c) for c in class_codes)}); "
                f"add them or declare them in inputs.{spec.variable}.fill")
    if not any(stats["n_read"]):
        raise InputError(f"{spec.variable}: no pixel of {[s['path'] for s in sources]} falls on the grid")
    for k, s in enumerate(sources):
        n, gap = stats["n_region"][k], stats["n_region_nodata"][k]
        if n and gap / n > spec.max_nodata_share:
            raise InputError(
                f"{_where(spec, s['path'], s['month'], year)}: {gap} of the region's {n} cells "
                f"({100 * gap / n:.1f} %) have no data after alignment; the limit is "
                f"inputs.{spec.variable}.max_nodata_share = {spec.max_nodata_share}. The file covers only part of "
                f"the region, or its fill value or valid range hides data")
    value, d = distribution_value(spec, stats), spec.distribution
    if value is not None and not (d.plausible[0] <= value <= d.plausible[1]):
        files = spec.path.replace("{month:02d}", "*").replace("{year}", str(year))
        raise InputError(
            f"{spec.variable} {year} ({files}): {d.statistic} is {value:.4g}, outside the plausible range "
            f"{list(d.plausible)} after scale {spec.scale:g} and conversion from {spec.units!r}: {d.hint}. If it is "
            f"right for your region, widen inputs.{spec.variable}.plausible_range")


def align_variable(spec: RasterInput, year: int, grid: GridSpec, out_path, threads: int = 1,
                   class_codes: Sequence[int] | None = None, region=None) -> dict:
    """Align all files of ``spec`` for ``year`` into a chunked Zarr store at ``out_path``.

    The store holds one variable named ``spec.variable`` with dims (month, y, x) for
    monthly inputs and (y, x) otherwise, in canonical units, chunked like the grid.
    Writing is atomic: ``out_path`` appears only after every check passed.

    region : (ny, nx) bool mask of the cells assigned to units (the run's unit assignment);
             the coverage and distribution checks count these cells (None = every cell).

    Returns the provenance record (files, choices, counts) for the run metadata.
    """
    sources = check_sources(spec, year, grid)
    is_class = spec.variable in CLASS_VARIABLES
    units = canonical_unit(spec.variable, spec.units)
    attrs = {"units": units, "long_name": spec.variable,
             "resampling": spec.resampling, "source_files": [s["path"] for s in sources]}
    variables = {spec.variable: {"dtype": "int32" if is_class else "float32",
                                 "fill": -1 if is_class else np.nan, "attrs": attrs}}
    leading = {"month": np.arange(1, 13)} if spec.monthly else None
    blocks = list(grid.blocks())
    log.info("aligning %s %s: %d file(s) onto %d x %d cells in %d blocks with %d thread(s)",
             spec.variable, year, len(sources), grid.height, grid.width, len(blocks), threads)
    with atomic_output(out_path, directory=True) as tmp:
        create_store(tmp, grid, variables, leading=leading, attrs={"year": int(year)})

        def one(rows, cols):
            data, st = align_block(spec, sources, year, grid, rows, cols, region=region)
            write_block(tmp, spec.variable, data if spec.monthly else data[0], rows, cols)
            return st

        parts = compute(*[dask.delayed(one)(r, c) for r, c in blocks], threads=threads,
                        label=f"aligning {spec.variable} {year}")
        stats = _merge_stats(list(parts), len(sources), spec)
        _validate(spec, sources, stats, year, class_codes)
        finalize_store(tmp)
    record = {
        "variable": spec.variable, "year": int(year), "output": str(out_path),
        "declared_units": spec.units, "units": units, "scale": spec.scale, "offset": spec.offset,
        "fill": list(spec.fill), "valid_range": list(spec.valid_range) if spec.valid_range else None,
        "resampling": spec.resampling, "sources": sources,
        "n_fill": stats["n_fill"], "n_out_of_range": stats["n_out_of_range"],
        "min": [None if not np.isfinite(v) else v for v in stats["min"]],
        "max": [None if not np.isfinite(v) else v for v in stats["max"]],
        "region_cells_without_data": stats["n_region_nodata"], "region_cells": stats["n_region"][0],
        "max_nodata_share": spec.max_nodata_share,
    }
    if spec.distribution is not None:
        d = spec.distribution
        record["distribution_check"] = {"statistic": d.statistic, "value": distribution_value(spec, stats),
                                        "plausible_range": list(d.plausible),
                                        "resolution": (d.bins[1] - d.bins[0]) / d.bins[2]}
    if is_class:
        record["codes"] = sorted(stats["codes"])
    if spec.resampling == "sum":
        record["total_on_grid"] = stats["total"]
    return record


def write_cell_area(grid: GridSpec, out_path, threads: int = 1) -> dict:
    """Write the ``cell_area_m2`` layer of ``grid`` to a Zarr store, block by block."""
    from carbonbalance.grid import cell_area_m2

    attrs = {"units": "m2", "long_name": "cell area",
             "method": ("spherical, R = 6371007 m" if grid.pyproj_crs.is_geographic
                        else "resolution² / areal scale of the projection")}
    with atomic_output(out_path, directory=True) as tmp:
        create_store(tmp, grid, {"cell_area_m2": {"dtype": "float64", "attrs": attrs}})

        def one(rows, cols):
            a = cell_area_m2(grid, rows, cols)
            write_block(tmp, "cell_area_m2", a, rows, cols)
            return float(a.sum())

        total = sum(compute(*[dask.delayed(one)(r, c) for r, c in grid.blocks()], threads=threads))
        finalize_store(tmp)
    return {"cell_area_method": attrs["method"], "grid_area_km2": total / 1e6}
