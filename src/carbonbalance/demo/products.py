"""Writers of the layouts the products are delivered in, for the demo's ``products`` layout
and the tests: HDF-EOS (HDF4) grids like MODIS tiles, CF NetCDF with a time axis, and ESRI
GRID (Arc/Info binary grid) folders.

- :func:`write_hdf_eos`: scientific datasets with the MODIS attributes in an HDF4 file
  whose ``StructMetadata.0`` describes the grid (``GCTP_SNSOID``, the MODIS sinusoidal
  tiles, or ``GCTP_GEO``, the lon/lat grids of the climate modelling products), via pyhdf;
- :func:`write_netcdf`: variables on a lon/lat grid with a CF time axis (``days since``),
  optionally packed into integers with ``scale_factor``/``add_offset``, via netCDF4;
- :func:`write_esri_grid`: an Arc/Info binary grid (``hdr.adf``, ``w001001.adf``,
  ``w001001x.adf``, ``dblbnd.adf``, ``sta.adf``, ``prj.adf``) of 32-bit integers or floats,
  in the format GDAL's AIG driver reads (no maintained library writes it).
"""

from __future__ import annotations

import datetime
import math
import struct
from pathlib import Path

import numpy as np
from pyproj import CRS
from rasterio.transform import Affine

from carbonbalance.core.store import atomic_output

SINUSOIDAL_RADIUS = 6371007.181
#: the day of the month the demo's time coordinates point at (ERA5 and TerraClimate use the 1st, some the 15th)
TIME_DAY = 15


# --------------------------------------------------------------------------- HDF-EOS (HDF4)
def _packed_dms(deg: float) -> float:
    """Decimal degrees to GCTP packed DDDMMMSSS.SS."""
    sign = -1.0 if deg < 0 else 1.0
    total = round(abs(deg) * 3600.0, 6)  # seconds
    d = math.floor(total / 3600.0)
    m = math.floor((total - d * 3600.0) / 60.0)
    s = total - d * 3600.0 - m * 60.0
    return sign * (d * 1e6 + m * 1e3 + s)


def _struct_metadata(grid_name: str, fields: list[tuple[str, str]], shape, transform: Affine, projection: str) -> str:
    ny, nx = shape
    x0, y0 = transform.c, transform.f
    x1, y1 = x0 + nx * transform.a, y0 + ny * transform.e
    if projection == "GCTP_GEO":
        ul, lr = (_packed_dms(x0), _packed_dms(y0)), (_packed_dms(x1), _packed_dms(y1))
        params = "(0,0,0,0,0,0,0,0,0,0,0,0,0)"
    else:
        ul, lr = (x0, y0), (x1, y1)
        params = f"({SINUSOIDAL_RADIUS:f},0,0,0,0,0,0,0,0,0,0,0,0)"
    lines = [
        "GROUP=SwathStructure",
        "END_GROUP=SwathStructure",
        "GROUP=GridStructure",
        "\tGROUP=GRID_1",
        f'\t\tGridName="{grid_name}"',
        f"\t\tXDim={nx}",
        f"\t\tYDim={ny}",
        f"\t\tUpperLeftPointMtrs=({ul[0]:f},{ul[1]:f})",
        f"\t\tLowerRightMtrs=({lr[0]:f},{lr[1]:f})",
        f"\t\tProjection={projection}",
        f"\t\tProjParams={params}",
        "\t\tSphereCode=-1" if projection == "GCTP_SNSOID" else "\t\tSphereCode=12",
        "\t\tGridOrigin=HDFE_GD_UL",
        "\t\tGROUP=Dimension",
        "\t\tEND_GROUP=Dimension",
        "\t\tGROUP=DataField",
    ]
    for k, (name, dtype) in enumerate(fields, 1):
        lines += [
            f"\t\t\tOBJECT=DataField_{k}",
            f'\t\t\t\tDataFieldName="{name}"',
            f"\t\t\t\tDataType={dtype}",
            '\t\t\t\tDimList=("YDim","XDim")',
            f"\t\t\tEND_OBJECT=DataField_{k}",
        ]
    lines += [
        "\t\tEND_GROUP=DataField",
        "\t\tGROUP=MergedFields",
        "\t\tEND_GROUP=MergedFields",
        "\tEND_GROUP=GRID_1",
        "END_GROUP=GridStructure",
        "GROUP=PointStructure",
        "END_GROUP=PointStructure",
        "END",
        "",
    ]
    return "\n".join(lines)


_HDF_TYPES = {"int16": ("INT16", "DFNT_INT16"), "uint8": ("UINT8", "DFNT_UINT8"), "int32": ("INT32", "DFNT_INT32"),
              "uint16": ("UINT16", "DFNT_UINT16"), "float32": ("FLOAT32", "DFNT_FLOAT32")}  # fmt: skip


def write_hdf_eos(path, datasets: dict, transform: Affine, projection: str = "GCTP_SNSOID", grid_name="MOD_Grid"):
    """Write ``{name: (array, attributes)}`` as scientific datasets of one HDF-EOS grid.

    ``attributes`` are the MODIS ones: ``scale_factor``, ``add_offset``, ``_FillValue``,
    ``valid_range``, ``units``, ``long_name``.  ``transform``: the grid in sinusoidal metres
    (GCTP_SNSOID) or degrees (GCTP_GEO).
    """
    from pyhdf.SD import SD, SDC

    shape = next(iter(datasets.values()))[0].shape
    fields = [(name, _HDF_TYPES[np.asarray(a).dtype.name][1]) for name, (a, _) in datasets.items()]
    with atomic_output(path) as tmp:
        sd = SD(str(tmp), SDC.WRITE | SDC.CREATE)
        try:
            for name, (array, attrs) in datasets.items():
                array = np.asarray(array)
                sds = sd.create(name, getattr(SDC, _HDF_TYPES[array.dtype.name][0]), array.shape)
                native = float if array.dtype.kind == "f" else int  # pyhdf wants Python numbers
                if "_FillValue" in attrs:
                    sds.setfillvalue(native(attrs["_FillValue"]))
                if "valid_range" in attrs:
                    sds.setrange(*(native(v) for v in attrs["valid_range"]))
                for key in ("long_name", "units"):
                    if key in attrs:
                        setattr(sds, key, str(attrs[key]))
                for key in ("scale_factor", "add_offset"):
                    if key in attrs:
                        setattr(sds, key, float(attrs[key]))
                sds[:] = array
                sds.endaccess()
            setattr(sd, "StructMetadata.0", _struct_metadata(grid_name, fields, shape, transform, projection))
        finally:
            sd.end()


# --------------------------------------------------------------------------- CF NetCDF
def write_netcdf(path, variables: dict, transform: Affine, shape, times, time_dim="time", lat_ascending=False):
    """Write ``{name: (array (T, ny, nx), attributes, dtype)}`` on the lon/lat grid of
    ``transform`` with a CF time axis ``times`` [(year, month)].  Values are written as given
    (already packed when the attributes carry ``scale_factor``/``add_offset``)."""
    import netCDF4

    ny, nx = shape
    lon = transform.c + (np.arange(nx) + 0.5) * transform.a
    lat = transform.f + (np.arange(ny) + 0.5) * transform.e
    order = slice(None, None, -1) if lat_ascending else slice(None)
    epoch = datetime.date(1900, 1, 1)
    with atomic_output(path) as tmp:
        ds = netCDF4.Dataset(str(tmp), "w", format="NETCDF4")
        try:
            ds.Conventions = "CF-1.7"
            ds.createDimension(time_dim, len(times))
            ds.createDimension("latitude", ny)
            ds.createDimension("longitude", nx)
            t = ds.createVariable(time_dim, "f8", (time_dim,))
            t.units, t.calendar, t.standard_name = "days since 1900-01-01", "gregorian", "time"
            t[:] = [(datetime.date(y, m, TIME_DAY) - epoch).days for y, m in times]
            la = ds.createVariable("latitude", "f8", ("latitude",))
            la.units, la.standard_name = "degrees_north", "latitude"
            la[:] = lat[order]
            lo = ds.createVariable("longitude", "f8", ("longitude",))
            lo.units, lo.standard_name = "degrees_east", "longitude"
            lo[:] = lon
            for name, (array, attrs, dtype) in variables.items():
                fill = attrs.get("_FillValue")
                v = ds.createVariable(name, dtype, (time_dim, "latitude", "longitude"), fill_value=fill, zlib=True)
                v.set_auto_maskandscale(False)
                for key, value in attrs.items():
                    if key != "_FillValue":
                        setattr(v, key, value)
                v[:] = np.asarray(array)[:, order, :].astype(dtype)
        finally:
            ds.close()


# --------------------------------------------------------------------------- ESRI GRID
ESRI_INT_NODATA = -2147483647
ESRI_FLOAT_NODATA = -3.4028234663852886e38
_TILE_W, _TILE_H = 256, 4


def _adf_header(size_shorts: int) -> bytes:
    head = bytearray(100)
    head[0:8] = bytes.fromhex("0000270AFFFFFC14")
    head[24:28] = struct.pack(">i", size_shorts)
    return bytes(head)


def write_esri_grid(folder, data: np.ndarray, transform: Affine, crs, nodata=None) -> Path:
    """Write ``data`` (int32 or float32) as an Arc/Info binary grid folder.

    Integer grids use uncompressed 32-bit tiles, float grids raw IEEE floats; cells equal to
    ``nodata`` (or NaN) become the grid's own no data.  ``prj.adf`` holds the CRS as ESRI WKT.
    """
    folder = Path(folder)
    is_float = np.asarray(data).dtype.kind == "f"
    a = np.asarray(data, dtype=">f4" if is_float else ">i4").copy()
    if is_float:
        a[~np.isfinite(a) | ((a == nodata) if nodata is not None else False)] = ESRI_FLOAT_NODATA
    elif nodata is not None:
        a[a == nodata] = ESRI_INT_NODATA
    ny, nx = a.shape
    tiles_x, tiles_y = -(-nx // _TILE_W), -(-ny // _TILE_H)
    pad = np.full((tiles_y * _TILE_H, tiles_x * _TILE_W), ESRI_FLOAT_NODATA if is_float else ESRI_INT_NODATA, a.dtype)
    pad[:ny, :nx] = a
    blocks, index = [], []
    offset = 100
    for ty in range(tiles_y):
        for tx in range(tiles_x):
            body = pad[ty * _TILE_H : (ty + 1) * _TILE_H, tx * _TILE_W : (tx + 1) * _TILE_W].tobytes()
            block = struct.pack(">H", len(body) // 2) + body
            index.append(struct.pack(">ii", offset // 2, len(body) // 2))
            blocks.append(block)
            offset += len(block)
    res_x, res_y = transform.a, -transform.e
    llx, ury = transform.c, transform.f
    urx, lly = llx + nx * res_x, ury - ny * res_y
    hdr = bytearray(308)
    hdr[0:8] = b"GRID1.2\x00"
    hdr[16:20] = struct.pack(">i", 2 if is_float else 1)
    hdr[20:24] = struct.pack(">i", 1)  # uncompressed
    hdr[256:288] = struct.pack(">dddd", res_x, res_y, llx, ury)
    hdr[288:308] = struct.pack(">iiiii", tiles_x, tiles_y, _TILE_W, 1, _TILE_H)
    valid = a[(a != (ESRI_FLOAT_NODATA if is_float else ESRI_INT_NODATA))].astype("float64")
    stats = (valid.min(), valid.max(), valid.mean(), valid.std()) if valid.size else (0.0, 0.0, 0.0, 0.0)
    wkt = CRS.from_user_input(crs).to_wkt("WKT1_ESRI")
    with atomic_output(folder, directory=True) as tmp:
        tmp = Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        data_bytes = b"".join(blocks)
        (tmp / "w001001.adf").write_bytes(_adf_header((100 + len(data_bytes)) // 2) + data_bytes)
        index_bytes = b"".join(index)
        (tmp / "w001001x.adf").write_bytes(_adf_header((100 + len(index_bytes)) // 2) + index_bytes)
        (tmp / "hdr.adf").write_bytes(bytes(hdr))
        (tmp / "dblbnd.adf").write_bytes(struct.pack(">dddd", llx, lly, urx, ury))
        (tmp / "sta.adf").write_bytes(struct.pack(">dddd", *stats))
        (tmp / "prj.adf").write_text(wkt)
    return folder


def split_columns(array: np.ndarray, transform: Affine, at: int) -> list[tuple[np.ndarray, Affine]]:
    """Two tiles of ``array``: columns before and from ``at``, each with its transform."""
    west = (array[..., :at], transform)
    east = (array[..., at:], transform * Affine.translation(at, 0))
    return [west, east]
