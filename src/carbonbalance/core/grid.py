"""The target grid of a run (SPEC §1): CRS, resolution, bounds, cell areas and blocks.

A :class:`GridSpec` is the single description of the grid shared by every stage.
It serialises to JSON (``results/aligned/grid.json``) so that later rules read the
grid without touching any raster.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from affine import Affine
from pyproj import CRS, Proj

from carbonbalance.core.params import Section

#: Authalic sphere radius (m) used for the cell areas of geographic grids (SPEC §1).
EARTH_RADIUS_M = 6_371_007.0

#: Default CRS: Albers equal-area conic for China (SPEC §1).
CHINA_ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs"


@dataclass
class GridParams(Section):
    """The ``grid`` config section: CRS, resolution (CRS units), bounds (None = the
    boundaries' extent, snapped outward) and the block edge of stores and kernels."""

    section: ClassVar[str] = "grid"
    crs: str = CHINA_ALBERS
    resolution: float = 1000
    bounds: list | None = None
    chunk: int = 512

    def grid(self, boundaries_bounds) -> GridSpec:
        """The grid over ``bounds``, or over the boundaries' extent when they are None."""
        bounds = self.bounds if self.bounds else boundaries_bounds
        return GridSpec.from_bounds(self.crs, self.resolution, bounds, chunk=self.chunk)


@dataclass(frozen=True)
class GridSpec:
    """A north-up raster grid.

    Attributes
    ----------
    crs : str
        CRS as WKT or PROJ string.
    xmin, ymax : float
        Upper-left corner in CRS units.
    resolution : float
        Cell size in CRS units (square cells).
    width, height : int
        Number of columns and rows.
    chunk : int
        Edge length (cells) of the square blocks that stores and kernels use.
    """

    crs: str
    xmin: float
    ymax: float
    resolution: float
    width: int
    height: int
    chunk: int = 512

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_bounds(cls, crs: str, resolution: float, bounds, chunk: int = 512) -> GridSpec:
        """Grid covering ``bounds`` (xmin, ymin, xmax, ymax), snapped outward to ``resolution``."""
        if resolution <= 0:
            raise ValueError(f"grid.resolution must be positive, got {resolution}")
        xmin, ymin, xmax, ymax = (float(b) for b in bounds)
        if not (xmax > xmin and ymax > ymin):
            raise ValueError(f"grid bounds are empty or inverted: {bounds}")
        r = float(resolution)
        x0 = math.floor(xmin / r) * r
        y0 = math.floor(ymin / r) * r
        x1 = math.ceil(xmax / r) * r
        y1 = math.ceil(ymax / r) * r
        width = int(round((x1 - x0) / r))
        height = int(round((y1 - y0) / r))
        return cls(
            crs=CRS.from_user_input(crs).to_wkt(),
            xmin=x0,
            ymax=y1,
            resolution=r,
            width=width,
            height=height,
            chunk=int(chunk),
        )

    @classmethod
    def from_json(cls, path) -> GridSpec:
        with open(path) as fh:
            return cls(**json.load(fh))

    def to_json(self, path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2))

    # ---------------------------------------------------------------- geometry
    @property
    def transform(self) -> Affine:
        return Affine(self.resolution, 0.0, self.xmin, 0.0, -self.resolution, self.ymax)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (
            self.xmin,
            self.ymax - self.height * self.resolution,
            self.xmin + self.width * self.resolution,
            self.ymax,
        )

    @property
    def pyproj_crs(self) -> CRS:
        return CRS.from_user_input(self.crs)

    def x_centres(self) -> np.ndarray:
        return self.xmin + (np.arange(self.width) + 0.5) * self.resolution

    def y_centres(self) -> np.ndarray:
        return self.ymax - (np.arange(self.height) + 0.5) * self.resolution

    def blocks(self) -> Iterator[tuple[slice, slice]]:
        """Row and column slices of the ``chunk`` × ``chunk`` blocks, row-major."""
        c = self.chunk
        for r0 in range(0, self.height, c):
            for c0 in range(0, self.width, c):
                yield slice(r0, min(r0 + c, self.height)), slice(c0, min(c0 + c, self.width))

    def block_transform(self, rows: slice, cols: slice) -> Affine:
        return self.transform @ Affine.translation(cols.start, rows.start)


def cell_area_m2(grid: GridSpec, rows: slice | None = None, cols: slice | None = None) -> np.ndarray:
    """Area of each cell (m², float64) of ``grid`` (or of one block of it).

    - geographic CRS: spherical cell area ``R²·Δλ·(sin φ2 − sin φ1)`` with
      R = 6 371 007 m (SPEC §1);
    - equal-area projection: exactly ``resolution²``;
    - any other projection: ``resolution² / areal_scale`` from the projection's
      scale factors at the cell centre.
    """
    rows = rows or slice(0, grid.height)
    cols = cols or slice(0, grid.width)
    nrow, ncol = rows.stop - rows.start, cols.stop - cols.start
    crs = grid.pyproj_crs
    r = grid.resolution
    if crs.is_geographic:
        top = grid.ymax - rows.start * r - np.arange(nrow) * r
        bottom = top - r
        band = EARTH_RADIUS_M**2 * math.radians(r) * (np.sin(np.radians(top)) - np.sin(np.radians(bottom)))
        return np.repeat(np.abs(band)[:, None], ncol, axis=1)
    metres = crs.axis_info[0].unit_conversion_factor  # CRS linear unit -> m
    proj = Proj(crs)
    x = grid.x_centres()[cols]
    y = grid.y_centres()[rows]
    side = r * metres
    if _equal_area(crs):  # Albers, Lambert azimuthal or cylindrical equal area: scale 1 everywhere
        xs, ys = np.meshgrid(x[:: max(1, ncol // 7)], y[:: max(1, nrow // 7)])  # checked on a sample
        if np.all(np.abs(np.asarray(proj.get_factors(*proj(xs, ys, inverse=True)).areal_scale) - 1.0) < 1e-9):
            return np.full((nrow, ncol), side * side, dtype="float64")
    xx, yy = np.meshgrid(x, y)
    lon, lat = proj(xx, yy, inverse=True)
    scale = np.asarray(proj.get_factors(lon, lat).areal_scale, dtype="float64")
    if np.all(np.abs(scale - 1.0) < 1e-9):
        return np.full((nrow, ncol), side * side, dtype="float64")
    return (side * side) / scale


def _equal_area(crs: CRS) -> bool:
    """Whether the projection's method is an equal-area one by name (its areal scale is 1)."""
    op = crs.coordinate_operation
    return op is not None and "equal area" in op.method_name.lower()


def raster_cell_area_m2(transform: Affine, shape: tuple[int, int], crs) -> np.ndarray:
    """Area (m², float64) of every cell of any north-up raster, e.g. an emission inventory:
    the spherical cell area of SPEC §1 for a geographic CRS, else the pixel area divided by
    the projection's areal scale at the cell centres (exactly the pixel area when equal-area)."""
    ny, nx = shape
    crs = CRS.from_user_input(crs)
    dx, dy = abs(transform.a), abs(transform.e)
    if crs.is_geographic:
        top = transform.f - np.arange(ny) * dy
        band = EARTH_RADIUS_M**2 * math.radians(dx) * (np.sin(np.radians(top)) - np.sin(np.radians(top - dy)))
        return np.repeat(np.abs(band)[:, None], nx, axis=1)
    metres = crs.axis_info[0].unit_conversion_factor
    proj = Proj(crs)
    xx, yy = transform * np.meshgrid(np.arange(nx) + 0.5, np.arange(ny) + 0.5)
    lon, lat = proj(xx, yy, inverse=True)
    scale = np.asarray(proj.get_factors(lon, lat).areal_scale, dtype="float64")
    return (dx * dy * metres * metres) / scale
