"""Readers of the raster layouts the products are delivered in (SPEC §2 "as delivered").

Every layout is read through the same small interface (:class:`Reader`): ``transform``,
``width``, ``height``, ``crs``, ``res``, ``bounds`` and ``read(window)``, the raw stored
values of one band as floats (:func:`as_float`; NaN where a mosaic has no tile).  The aligner reads
only the window each grid block needs, whatever the layout:

- :class:`GdalReader`: anything GDAL opens — GeoTIFF, a band of a multi-band file, a
  NetCDF variable (``NETCDF:"f.nc":t2m``, one band per time step), an HDF5 dataset
  (``HDF5:"f.h5"://grp/var``), an ESRI GRID folder;
- :class:`Hdf4Reader`: a scientific dataset of an HDF4 / HDF-EOS file (MODIS), read with
  ``pyhdf`` (the rasterio wheels have no HDF4 driver); its grid comes from the
  ``StructMetadata.0`` attribute (sinusoidal ``GCTP_SNSOID`` or geographic ``GCTP_GEO``);
- :class:`Mosaic`: several tiles of one time step on one pixel lattice, mosaicked on the
  fly window by window (no mosaic is written anywhere).

The HDF4 library is not thread-safe: every pyhdf call holds one lock.
"""

from __future__ import annotations

import math

import numpy as np
import rasterio
from rasterio.transform import Affine
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from carbonbalance.errors import InputError
from carbonbalance.ingest.timeaxis import cf_band_times, numbers


def as_float(a: np.ndarray) -> np.ndarray:
    """Raw values as floats without loss: float32 for 8- and 16-bit integers and float32 (exact,
    half the memory traffic of float64), float64 for anything wider."""
    exact32 = a.dtype == np.float32 or (a.dtype.kind in "iub" and a.dtype.itemsize <= 2)
    return a.astype("float32" if exact32 else "float64", copy=False)


class Reader:
    """One band of one raster, read by windows (see the module docstring)."""

    transform: Affine
    width: int
    height: int
    crs: str | None
    label: str

    @property
    def res(self) -> tuple[float, float]:
        return (abs(self.transform.a), abs(self.transform.e))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        x0, y0 = self.transform.c, self.transform.f
        x1, y1 = self.transform * (self.width, self.height)
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def window_transform(self, window: Window) -> Affine:
        return window_transform(window, self.transform)

    def read(self, window: Window) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def attributes(self) -> dict:
        """The file's own decoding attributes that are present: ``scale_factor``,
        ``add_offset``, ``fill`` (its nodata or _FillValue), ``valid_range``, ``units``."""
        return {}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def gdal_name(path: str, variable: str | None) -> str:
    """The GDAL dataset name of ``variable`` in ``path`` (the file itself without one)."""
    if not variable:
        return path
    if variable.startswith(("NETCDF:", "HDF5:")):
        return variable.format(file=path)
    return f'NETCDF:"{path}":{variable}'


def open_gdal(path: str, variable: str | None, where: str):
    """Open ``path`` (or its ``variable``) with GDAL; the errors name what is missing."""
    name = gdal_name(path, variable)
    try:
        return rasterio.open(name)
    except rasterio.errors.RasterioIOError as exc:
        if variable:
            try:
                return rasterio.open(f'HDF5:"{path}"://{variable.lstrip("/")}')
            except rasterio.errors.RasterioIOError:
                pass
            available = subdatasets(path)
            if available:
                raise InputError(
                    f"{where}: {path} has no variable {variable!r}; it has {available} (set the "
                    "variable key of this input to one of them)"
                ) from exc
        raise InputError(f"{where}: {path} cannot be read as a raster ({exc})") from exc


def subdatasets(path: str) -> list[str]:
    """The variable names of a NetCDF/HDF5 file (empty for a plain raster or an unreadable file)."""
    try:
        with rasterio.open(path) as src:
            names = list(src.subdatasets)
    except rasterio.errors.RasterioIOError:
        return []
    return [n.rsplit(":", 1)[-1].lstrip("/") for n in names]


class GdalReader(Reader):
    """Band ``band`` (1-based) of a dataset GDAL opens."""

    def __init__(self, path: str, variable: str | None, band: int, where: str):
        self.path, self.band, self.where = path, int(band), where
        self.src = open_gdal(path, variable, where)
        if not 1 <= self.band <= self.src.count:
            n = self.src.count
            self.src.close()
            raise InputError(f"{where}: {path} has {n} band(s), band {self.band} was asked for")
        self.transform = self.src.transform
        self.count = self.src.count
        self.width, self.height = self.src.width, self.src.height
        self.crs = self.src.crs.to_wkt() if self.src.crs else None
        self.crs_from_coordinates = False
        if self.crs is None and _cf_geographic(self.src.tags()):
            # CF latitude/longitude coordinates without a grid_mapping: WGS 84 lon/lat
            self.crs, self.crs_from_coordinates = "EPSG:4326", True
        self.label = path if not variable else f"{path} ({variable})"

    def attributes(self) -> dict:
        tags = self.src.tags(self.band)
        out = {}
        if "scale_factor" in tags:
            out["scale_factor"] = float(tags["scale_factor"])
        elif self.src.scales[self.band - 1] not in (None, 1.0):
            out["scale_factor"] = float(self.src.scales[self.band - 1])
        if "add_offset" in tags:
            out["add_offset"] = float(tags["add_offset"])
        elif self.src.offsets[self.band - 1] not in (None, 0.0):
            out["add_offset"] = float(self.src.offsets[self.band - 1])
        if self.src.nodatavals[self.band - 1] is not None:
            out["fill"] = float(self.src.nodatavals[self.band - 1])
        if "valid_range" in tags:
            out["valid_range"] = numbers(tags["valid_range"])[:2]
        elif "valid_min" in tags and "valid_max" in tags:
            out["valid_range"] = [float(tags["valid_min"]), float(tags["valid_max"])]
        units = tags.get("units") or (self.src.units[self.band - 1] if self.src.units else None)
        if units:
            out["units"] = str(units)
        return out

    def times(self) -> list[tuple[int, int]] | None:
        """(year, month) of every band from a CF time coordinate (None without one)."""
        return cf_band_times(self.src, self.where)

    def read(self, window: Window) -> np.ndarray:
        try:
            return as_float(self.src.read(self.band, window=window))
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(
                f"{self.where}: reading rows {window.row_off}-{window.row_off + window.height} and columns "
                f"{window.col_off}-{window.col_off + window.width} of {self.path} failed ({exc}); the file is "
                f"damaged (a corrupt tile?): download it again"
            ) from exc

    def close(self) -> None:
        self.src.close()


# --------------------------------------------------------------------------- mosaics
class Mosaic(Reader):
    """Tiles of one time step on one pixel lattice, read as one raster (NaN between tiles)."""

    def __init__(self, tiles: list[Reader], where: str):
        self.tiles = tiles
        first = tiles[0]
        xres, yres = first.transform.a, first.transform.e
        for t in tiles[1:]:
            if t.crs != first.crs and not _same_crs(t.crs, first.crs):
                raise InputError(f"{where}: tiles {first.label} and {t.label} have different CRSs")
            same = math.isclose(t.transform.a, xres, rel_tol=1e-9) and math.isclose(t.transform.e, yres, rel_tol=1e-9)
            if not same:
                raise InputError(f"{where}: tiles {first.label} and {t.label} have different pixel sizes")
        x0 = min(t.transform.c for t in tiles)
        y0 = max(t.transform.f for t in tiles)
        x1 = max(t.transform.c + t.width * xres for t in tiles)
        y1 = min(t.transform.f + t.height * yres for t in tiles)
        self.offsets = []
        for t in tiles:
            c, r = (t.transform.c - x0) / xres, (t.transform.f - y0) / yres
            if abs(c - round(c)) > 1e-6 or abs(r - round(r)) > 1e-6:
                raise InputError(f"{where}: tile {t.label} is not on the pixel lattice of {first.label}")
            self.offsets.append((round(r), round(c)))
        self.transform = Affine(xres, 0.0, x0, 0.0, yres, y0)
        self.width = round((x1 - x0) / xres)
        self.height = round((y1 - y0) / yres)
        self.crs = first.crs
        self.count = getattr(first, "count", 1)
        self.label = f"{len(tiles)} tiles: " + ", ".join(t.label for t in tiles)
        attrs = first.attributes()
        for t in tiles[1:]:
            if t.attributes() != attrs:
                raise InputError(
                    f"{where}: tiles {first.label} and {t.label} have different attributes "
                    f"({attrs} vs {t.attributes()})"
                )

    def attributes(self) -> dict:
        return self.tiles[0].attributes()

    def times(self):
        return getattr(self.tiles[0], "times", lambda: None)()

    def read(self, window: Window) -> np.ndarray:
        r0, c0 = int(window.row_off), int(window.col_off)
        h, w = int(window.height), int(window.width)
        parts = []
        for t, (tr, tc) in zip(self.tiles, self.offsets):
            a0, a1 = max(r0, tr), min(r0 + h, tr + t.height)
            b0, b1 = max(c0, tc), min(c0 + w, tc + t.width)
            if a1 > a0 and b1 > b0:
                parts.append(
                    (
                        slice(a0 - r0, a1 - r0),
                        slice(b0 - c0, b1 - c0),
                        t.read(Window(b0 - tc, a0 - tr, b1 - b0, a1 - a0)),
                    )
                )
        out = np.full((h, w), np.nan, dtype=np.result_type(*[p[2] for p in parts]) if parts else "float32")
        for rows, cols, part in parts:
            out[rows, cols] = part
        return out

    def close(self) -> None:
        for t in self.tiles:
            t.close()


def _same_crs(a, b) -> bool:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(a) == CRS.from_user_input(b)
    except CRSError:
        return False


def _cf_geographic(tags: dict) -> bool:
    units = {v.strip().lower() for k, v in tags.items() if k.endswith("#units")}
    return bool(units & {"degrees_north", "degree_north", "degrees_n"}) and bool(
        units & {"degrees_east", "degree_east", "degrees_e"}
    )
