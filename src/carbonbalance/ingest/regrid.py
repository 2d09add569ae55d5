"""Regridding weights computed once per (source grid, target grid) and reused for every layer.

The monthly inputs of a product share one source grid across months, years and often
variables, and the expensive part of resampling them is the coordinate transformation of
every grid cell into the source raster, which GDAL repeats for every layer it warps.  Here
it is done once, exactly (PROJ through :mod:`pyproj`, no approximation), and stored:

- a :class:`Weights` store holds the position (column, row in source pixels) of every grid
  cell's centre in one source grid.  Bilinear and nearest-neighbour weights are functions of
  that position and of the kernel scale alone, so the store *is* the sparse regridding
  matrix of both methods in factored form: two float64 numbers per cell instead of the up to
  16 (index, weight) pairs of GDAL's widened bilinear filter;
- :func:`resample` applies it to a stack of layers (all months of a variable at once) with
  the kernels of :mod:`carbonbalance.ingest.kernels`, which reproduce GDAL's ``bilinear`` and
  ``nearest`` (equal to ``gdalwarp`` with an exact transformation to floating-point precision;
  GDAL's default approximate transformer moves positions by up to 0.125 source pixel, and
  its values differ from these by up to that shift times the local gradient).

Every cell's value depends only on its own position and the source pixels around it, so the
aligned values no longer depend on the grid's block size (``grid.chunk``).

The stores live in one cache folder per run (``results/<run>/aligned/regrid``), named by a
hash of both grids; concurrent jobs wait on a lock file while one of them writes a store.
Deleting the folder is safe: the next alignment recomputes what it needs.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyproj import CRS, Transformer
from rasterio.transform import Affine
from rasterio.windows import Window

from carbonbalance.core.grid import GridSpec
from carbonbalance.ingest.kernels import bilinear, nearest

log = logging.getLogger(__name__)

#: the resamplings applied through stored positions; the others go through GDAL
METHODS = ("bilinear", "nearest")


@dataclass(frozen=True)
class SourceGrid:
    """The pixel lattice of a source raster: CRS, affine transform and size."""

    crs: str
    transform: tuple[float, float, float, float, float, float]
    width: int
    height: int

    @classmethod
    def of(cls, source: dict) -> SourceGrid:
        """From a source description of :func:`carbonbalance.ingest.sources.resolve_sources`."""
        h, w = source["shape"]
        return cls(str(source["crs"]), tuple(float(v) for v in source["transform"][:6]), int(w), int(h))

    @property
    def affine(self) -> Affine:
        return Affine(*self.transform)

    def key(self, grid: GridSpec) -> str:
        """Name of the positions of ``grid`` in this source grid (the block size is not part of it)."""
        return _key(self, grid)


@functools.lru_cache(maxsize=256)
def _key(source: SourceGrid, grid: GridSpec) -> str:
    """:meth:`SourceGrid.key`, once per pair (every block of every layer asks for it)."""
    ident = {
        "source": [CRS.from_user_input(source.crs).to_wkt(), list(source.transform), source.width, source.height],
        "grid": [
            CRS.from_user_input(grid.crs).to_wkt(),
            grid.xmin,
            grid.ymax,
            grid.resolution,
            grid.width,
            grid.height,
        ],  # fmt: skip
    }
    return hashlib.sha1(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def positions(grid: GridSpec, rows: slice, cols: slice, source: SourceGrid) -> tuple[np.ndarray, np.ndarray]:
    """Column and row (source pixels, float64) of the centres of a block of grid cells; NaN
    where the transformation has no answer."""
    nr, nc = rows.stop - rows.start, cols.stop - cols.start
    x = grid.xmin + (np.arange(cols.start, cols.stop) + 0.5) * grid.resolution
    y = grid.ymax - (np.arange(rows.start, rows.stop) + 0.5) * grid.resolution
    X = np.broadcast_to(x[None, :], (nr, nc)).ravel()
    Y = np.broadcast_to(y[:, None], (nr, nc)).ravel()
    tr = Transformer.from_crs(grid.crs, source.crs, always_xy=True)
    u, v = tr.transform(X, Y, errcheck=False)
    sx, sy = ~source.affine * (np.asarray(u, dtype="float64"), np.asarray(v, dtype="float64"))
    bad = ~(np.isfinite(sx) & np.isfinite(sy))
    sx[bad] = np.nan
    sy[bad] = np.nan
    return sx.reshape(nr, nc), sy.reshape(nr, nc)


class Weights:
    """The positions of every cell of ``grid`` in ``source`` (see the module docstring),
    stored at ``path`` or, without a path, computed block by block when asked for."""

    def __init__(self, source: SourceGrid, grid: GridSpec, path: Path | None = None):
        self.source, self.grid, self.path = source, grid, path
        self._arrays = None

    @classmethod
    def cached(cls, source: SourceGrid, grid: GridSpec, cache_dir, threads: int = 1) -> Weights:
        """The stored positions in ``cache_dir``, computed and written first if absent."""
        from carbonbalance.core.blocks import compute
        from carbonbalance.core.store import atomic_output

        cache_dir = Path(cache_dir)
        cache_dir.mkdir(parents=True, exist_ok=True)
        key = source.key(grid)
        path = cache_dir / f"{key}.zarr"
        with _locked(cache_dir / f"{key}.lock"):
            if not (path / "zarr.json").exists() or not _complete(path):
                import dask
                import zarr

                from carbonbalance.core.encoding import compressors

                log.info("regridding weights %s: positions of %d x %d cells in %s", key, grid.height, grid.width,
                         source.crs.split("\n")[0][:60])  # fmt: skip
                with atomic_output(path, directory=True) as tmp:
                    g = zarr.open_group(str(tmp), mode="w")
                    chunks = (grid.chunk, grid.chunk)
                    for name in ("sx", "sy"):
                        g.create_array(name, shape=grid.shape, chunks=chunks, dtype="float64", fill_value=np.nan,
                                       compressors=compressors())  # fmt: skip
                    g.attrs["source"] = json.dumps(source.__dict__)
                    g.attrs["grid"] = json.dumps(grid.__dict__)

                    def one(rows, cols):
                        sx, sy = positions(grid, rows, cols, source)
                        g["sx"][rows, cols] = sx
                        g["sy"][rows, cols] = sy

                    compute(*[dask.delayed(one)(r, c) for r, c in grid.blocks()], threads=threads,
                            label=f"regridding weights {key}")  # fmt: skip
                    g.attrs["complete"] = True
            else:
                log.info("regridding weights %s: reused from %s", key, path)
        return cls(source, grid, path)

    def block(self, rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        """(sx, sy) of a block of cells."""
        if self.path is None:
            return positions(self.grid, rows, cols, self.source)
        if self._arrays is None:
            import zarr

            g = zarr.open_group(str(self.path), mode="r")
            self._arrays = (g["sx"], g["sy"])
        return self._arrays[0][rows, cols], self._arrays[1][rows, cols]


def _complete(path: Path) -> bool:
    import zarr

    try:
        return bool(zarr.open_group(str(path), mode="r").attrs.get("complete", False))
    except Exception:  # an unreadable store is rewritten
        return False


@contextlib.contextmanager
def _locked(lock: Path):
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def support(sx: np.ndarray, sy: np.ndarray, source: SourceGrid, scale, method: str) -> Window | None:
    """The source window that every kernel tap of the block's positions falls in (clipped to
    the raster), or None when no position lies on the raster."""
    ok = np.isfinite(sx)
    if not ok.any():
        return None
    xs, ys = scale
    rx = 1 if method == "nearest" else int(math.ceil(1.0 / min(float(xs), 1.0))) + 1
    ry = 1 if method == "nearest" else int(math.ceil(1.0 / min(float(ys), 1.0))) + 1
    c0 = max(int(math.floor(np.min(sx[ok]))) - rx, 0)
    c1 = min(int(math.floor(np.max(sx[ok]))) + rx + 1, source.width)
    r0 = max(int(math.floor(np.min(sy[ok]))) - ry, 0)
    r1 = min(int(math.floor(np.max(sy[ok]))) + ry + 1, source.height)
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def resample(stack: np.ndarray, sx: np.ndarray, sy: np.ndarray, window: Window, scale, method: str) -> np.ndarray:
    """Every layer of ``stack`` (window rows, window cols, layers; float32, NaN = no data) at
    the block's positions; returns (layers, block rows, block cols) float32."""
    shape = sx.shape
    px = (sx - window.col_off).ravel()
    py = (sy - window.row_off).ravel()
    out = np.empty((stack.shape[2], px.size), dtype="float32")
    stack = np.ascontiguousarray(stack, dtype="float32")
    if method == "bilinear":
        bilinear(stack, px, py, float(scale[0]), float(scale[1]), out)
    elif method == "nearest":
        nearest(stack, px, py, out)
    else:  # pragma: no cover - guarded by METHODS
        raise ValueError(f"no stored-weights kernel for {method!r}")
    return out.reshape((stack.shape[2],) + shape)
