"""HDF4 / HDF-EOS scientific datasets (MODIS tiles), read with pyhdf: the rasterio wheels
have no HDF4 driver.  The grid of a dataset comes from the file's ``StructMetadata.0``
(sinusoidal ``GCTP_SNSOID`` or geographic ``GCTP_GEO``); its attributes (``scale_factor``,
``add_offset``, ``_FillValue``, ``valid_range``, ``units``) are the file's own decoding.
The HDF4 library is not thread-safe: every pyhdf call holds one lock."""

from __future__ import annotations

import math
import re
import threading

import numpy as np
from rasterio.transform import Affine
from rasterio.windows import Window

from carbonbalance.errors import InputError
from carbonbalance.ingest.readers import Reader, as_float
from carbonbalance.ingest.timeaxis import numbers

HDF4_SIGNATURE = b"\x0e\x03\x13\x01"
#: MODIS sinusoidal grid: sphere of radius 6371007.181 m
MODIS_SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
_HDF4_LOCK = threading.Lock()


def is_hdf4(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == HDF4_SIGNATURE
    except (IsADirectoryError, FileNotFoundError, PermissionError):
        return False


def _odl_value(text: str, key: str) -> str | None:
    m = re.search(rf"^\s*{key}=(.+?)\s*$", text, re.M)
    return m.group(1).strip().strip('"') if m else None


def _packed_dms(v: float) -> float:
    """GCTP packed degrees-minutes-seconds (DDDMMMSSS.SS) to decimal degrees."""
    sign = -1.0 if v < 0 else 1.0
    v = abs(v)
    d = math.floor(v / 1e6)
    m = math.floor((v - d * 1e6) / 1e3)
    s = v - d * 1e6 - m * 1e3
    return sign * (d + m / 60.0 + s / 3600.0)


def eos_grid(struct_metadata: str, field: str, shape: tuple[int, int], where: str) -> tuple[str, Affine]:
    """CRS and transform of the HDF-EOS grid holding ``field`` (from ``StructMetadata.0``)."""
    groups = re.split(r"^\s*GROUP=GRID_\d+\s*$", struct_metadata, flags=re.M)[1:]
    chosen = None
    for g in groups:
        if re.search(rf'DataFieldName="{re.escape(field)}"', g):
            chosen = g
            break
    if chosen is None:  # a file without the field names: the grid of the same shape
        for g in groups:
            xd, yd = _odl_value(g, "XDim"), _odl_value(g, "YDim")
            if xd and yd and (int(yd), int(xd)) == tuple(shape):
                chosen = g
                break
    if chosen is None:
        raise InputError(f"{where}: no HDF-EOS grid in StructMetadata.0 describes {field!r} {tuple(shape)}")
    xdim, ydim = int(_odl_value(chosen, "XDim")), int(_odl_value(chosen, "YDim"))
    ul = numbers(_odl_value(chosen, "UpperLeftPointMtrs") or "")
    lr = numbers(_odl_value(chosen, "LowerRightMtrs") or "")
    projection = _odl_value(chosen, "Projection") or ""
    if len(ul) != 2 or len(lr) != 2:
        raise InputError(f"{where}: StructMetadata.0 lacks the grid corners of {field!r}")
    if projection == "GCTP_SNSOID":
        params = numbers(_odl_value(chosen, "ProjParams") or "")
        radius = params[0] if params and params[0] > 0 else 6371007.181
        crs = MODIS_SINUSOIDAL.replace("6371007.181", repr(radius))
    elif projection == "GCTP_GEO":
        ul, lr = [_packed_dms(v) for v in ul], [_packed_dms(v) for v in lr]
        crs = "EPSG:4326"
    else:
        raise InputError(
            f"{where}: HDF-EOS projection {projection!r} is not supported (GCTP_SNSOID, GCTP_GEO); "
            "convert the file with GDAL or set the crs"
        )
    xres, yres = (lr[0] - ul[0]) / xdim, (ul[1] - lr[1]) / ydim
    return crs, Affine(xres, 0.0, ul[0], 0.0, -yres, ul[1])


def hdf4_attributes(path: str, variable: str, where: str) -> tuple[dict, tuple[int, ...], str | None]:
    """(attributes, shape, StructMetadata.0) of one scientific dataset of an HDF4 file."""
    from pyhdf.error import HDF4Error
    from pyhdf.SD import SD, SDC

    with _HDF4_LOCK:
        try:
            sd = SD(path, SDC.READ)
        except HDF4Error as exc:
            raise InputError(f"{where}: {path} cannot be read as HDF4 ({exc})") from exc
        try:
            names = list(sd.datasets())
            if not variable or variable not in names:
                what = "names no variable" if not variable else f"has no scientific dataset {variable!r}"
                raise InputError(f"{where}: {path} {what}; it has {names} (set the variable key of this input)")
            sds = sd.select(variable)
            try:
                attrs = dict(sds.attributes())
                shape = tuple(sds.info()[2]) if isinstance(sds.info()[2], list) else (sds.info()[2],)
            finally:
                sds.endaccess()
            struct = sd.attributes().get("StructMetadata.0")
        finally:
            sd.end()
    return attrs, shape, struct


class Hdf4Reader(Reader):
    """A 2-D scientific dataset of an HDF4 (HDF-EOS) file, read with pyhdf."""

    def __init__(self, path: str, variable: str, where: str, crs: str | None = None):
        self.path, self.variable, self.where = path, variable, where
        self.attrs, shape, struct = hdf4_attributes(path, variable, where)
        if len(shape) != 2:
            raise InputError(f"{where}: {path} dataset {variable!r} has shape {shape}; a 2-D grid is needed")
        self.height, self.width = shape
        if not struct:
            raise InputError(f"{where}: {path} has no StructMetadata.0 (not HDF-EOS): its grid is unknown")
        grid_crs, self.transform = eos_grid(struct, variable, shape, where)
        self.crs = crs or grid_crs
        self.label = f"{path} ({variable})"

    def attributes(self) -> dict:
        a, out = self.attrs, {}
        if "scale_factor" in a:
            out["scale_factor"] = float(a["scale_factor"])
        if "add_offset" in a:
            out["add_offset"] = float(a["add_offset"])
        if "_FillValue" in a:
            out["fill"] = float(a["_FillValue"])
        if "valid_range" in a:
            out["valid_range"] = [float(v) for v in a["valid_range"]][:2]
        if a.get("units"):
            out["units"] = str(a["units"])
        return out

    def read(self, window: Window) -> np.ndarray:
        from pyhdf.SD import SD, SDC

        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        with _HDF4_LOCK:
            sd = SD(self.path, SDC.READ)
            try:
                sds = sd.select(self.variable)
                try:
                    data = np.asarray(sds[r0:r1, c0:c1])
                finally:
                    sds.endaccess()
            finally:
                sd.end()
        return as_float(data)
