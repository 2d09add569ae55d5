"""How the demo writes its inputs: GeoTIFFs (``demo.layout: geotiff``) or the layouts the
products are delivered in (``products``), with the same pixels either way.

In the ``products`` layout each input is written as its product preset (``inputs.<var>.
product``) is delivered: MODIS HDF-EOS tiles (MOD13A3 NDVI per month, MCD12Q1 land cover
and MOD17A3HGF NPP per year, split into the tiles of ``inputs.<var>.tiles``), a NetCDF per
year with a time axis (1 km China climate temperature; ERA5-Land precipitation and solar
radiation, both variables in one file, in metres and joules per day), an ESRI GRID folder
per year (CNLUCC land use) and GeoTIFFs (VNL v2 night light, WorldPop or LandScan
population).  The MODIS tiles use the lon/lat HDF-EOS grid (``GCTP_GEO``, as the
climate-modelling-grid products do) so that both layouts hold identical pixels and the
two runs give the same results to floating-point precision; the sinusoidal tiles are
covered by the tests.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import Affine

from carbonbalance.core.store import atomic_output
from carbonbalance.demo.products import split_columns, write_esri_grid, write_hdf_eos, write_netcdf
from carbonbalance.errors import ConfigError
from carbonbalance.ingest import layout, presets

MONTHLY = ("ndvi", "temperature", "precipitation", "radiation")
LAYOUTS = ("geotiff", "products")


@dataclass
class Step:
    """One time step of one demo input: stored values, their grid and the GeoTIFF metadata."""

    var: str
    year: int
    month: int | None
    data: np.ndarray
    transform: Affine
    nodata: float | None = None
    tags: dict = field(default_factory=dict)


# product -> how the demo's stored values become the product's (and its attributes)
_MODIS = {
    "MOD13A3": dict(
        attrs={
            "long_name": "1 km monthly NDVI",
            "units": "NDVI",
            "scale_factor": 10000.0,
            "add_offset": 0.0,
            "_FillValue": -3000,
            "valid_range": (-2000, 10000),
        },  # fmt: skip
        grid="MOD_Grid_monthly_1km_VI",
    ),
    "MCD12Q1": dict(
        attrs={"long_name": "Land_Cover_Type_1", "units": "class", "_FillValue": 255, "valid_range": (1, 17)},
        grid="MCD12Q1",
    ),
    "MOD17A3HGF": dict(
        attrs={
            "long_name": "Net Primary Productivity",
            "units": "kg C/m^2",
            "scale_factor": 0.0001,
            "add_offset": 0.0,
            "_FillValue": 32767,
            "valid_range": (-30000, 32700),
        },  # fmt: skip
        grid="MOD_Grid_MOD17A3H",
    ),
}
_GEOTIFF_PRODUCTS = ("VNL_v2", "WorldPop", "LandScan")


def _era5(var, data, year, month):
    days = calendar.monthrange(year, month)[1]
    if var == "precipitation":  # mm per month -> m per day (monthly mean of daily totals)
        return data.astype("float64") / 1000.0 / days, {"units": "m", "long_name": "Total precipitation"}
    return data.astype("float64") * 86400.0, {"units": "J m**-2", "long_name": "Surface solar radiation downwards"}


class Writer:
    """Writes the steps of each input in the configured layout (see the module docstring)."""

    def __init__(self, inputs: dict, layout_name: str = "geotiff"):
        if layout_name not in LAYOUTS:
            raise ConfigError(f"demo.layout: {layout_name!r} is not one of {list(LAYOUTS)}")
        self.inputs, self.layout = inputs, layout_name
        self.stacks: dict = {}  # file -> {variable: [steps]} of the files that hold several steps
        for var, spec in inputs.items():
            self.kind(var, spec)  # fail early on a layout the demo cannot write

    def kind(self, var: str, spec: dict) -> str:
        path, product = spec["path"], spec.get("product", "")
        if var == "inventory" and path.endswith(".nc"):
            return "netcdf_inventory"
        if self.layout == "geotiff" or product in _GEOTIFF_PRODUCTS or not product:
            if not path.endswith((".tif", ".tiff")):
                raise ConfigError(f"inputs.{var}.path: the demo writes GeoTIFFs for {var}; {path!r} is not a .tif")
            return "geotiff"
        if product in _MODIS and path.endswith(".hdf"):
            return "hdf"
        if product in ("China_1km_monthly_climate", "ERA5_Land_monthly") and path.endswith(".nc"):
            return "netcdf"
        if product == "CNLUCC" and not Path(path).suffix:
            return "esri_grid"
        raise ConfigError(f"inputs.{var}: the demo cannot write product {product!r} at {path!r}")

    def _path(self, var: str, year: int, month: int | None, tile: str | None = None) -> str:
        spec = self.inputs[var]
        keys = {"year": year, "doy": layout.first_doy(year, month) if month else 1}
        if month:
            keys["month"] = month
        if tile is not None:
            keys["tile"] = tile
        return spec["path"].format(**keys)

    def add(self, step: Step) -> None:
        spec = self.inputs[step.var]
        kind = self.kind(step.var, spec)
        stacked = not layout.per_step_files(spec["path"], step.var in MONTHLY)
        if kind in ("netcdf",) or (kind == "geotiff" and stacked):
            file = self._path(step.var, step.year, None)
            self.stacks.setdefault((file, kind), {}).setdefault(step.var, []).append(step)
            return
        if kind == "geotiff":
            _write_tif(self._path(step.var, step.year, step.month), [step.data], step.transform, step.nodata, step.tags)
        elif kind == "hdf":
            product = _MODIS[spec["product"]]
            name = presets.for_input(spec["product"], step.var)["variable"]
            tiles = list(spec.get("tiles") or [None])
            width = step.data.shape[1]
            cuts = [round(width * k / len(tiles)) for k in range(1, len(tiles))]
            parts = [(step.data, step.transform)]
            for cut in reversed(cuts):
                head, tail = split_columns(parts[0][0], parts[0][1], cut)
                parts = [head, tail, *parts[1:]]
            for tile, (data, tr) in zip(tiles, parts):
                write_hdf_eos(self._path(step.var, step.year, step.month, tile), {name: (data, product["attrs"])}, tr,
                              projection="GCTP_GEO", grid_name=product["grid"])  # fmt: skip
        elif kind == "esri_grid":
            write_esri_grid(self._path(step.var, step.year, None), step.data, step.transform, "EPSG:4326")
        elif kind == "netcdf_inventory":  # one year, e.g. EDGAR's annual flux files
            name = spec.get("variable", "emissions")
            attrs = {"units": spec["units"], "long_name": "CO2 emissions"}
            write_netcdf(self._path(step.var, step.year, None), {name: (step.data[None], attrs, "f8")},
                         step.transform, step.data.shape, [(step.year, 7)])  # fmt: skip

    def finish(self) -> None:
        """Write the files that hold several steps (a year's months, or several variables)."""
        for (file, kind), by_var in self.stacks.items():
            first = next(iter(by_var.values()))[0]
            if kind == "geotiff":
                steps = sorted(by_var[first.var], key=lambda s: s.month or 0)
                _write_tif(file, [s.data for s in steps], first.transform, first.nodata, first.tags)
                continue
            variables, times = {}, None
            for var, steps in by_var.items():
                steps = sorted(steps, key=lambda s: s.month)
                times = [(s.year, s.month) for s in steps]
                name = presets.for_input(self.inputs[var]["product"], var)["variable"]
                if var == "temperature":  # 0.1 degC int16, as the 1 km China climate files store it
                    data = np.stack([s.data for s in steps]).astype("int16")
                    variables[name] = (data, {"_FillValue": np.int16(-32768), "units": "0.1 degree Celsius",
                                              "long_name": "monthly mean temperature"}, "i2")  # fmt: skip
                else:
                    pairs = [_era5(var, s.data, s.year, s.month) for s in steps]
                    data = np.stack([p[0] for p in pairs])
                    data[~np.isfinite(data)] = -32767.0
                    variables[name] = (data, {**pairs[0][1], "_FillValue": -32767.0}, "f8")
            era5 = self.inputs[first.var].get("product") == "ERA5_Land_monthly"
            write_netcdf(file, variables, first.transform, first.data.shape, times,
                         time_dim="valid_time" if era5 else "time", lat_ascending=not era5)  # fmt: skip
        self.stacks = {}

    def targets(self, years) -> list[str]:
        """Every file (or ESRI GRID folder) the writer produces for ``years``."""
        out = []
        for var, spec in self.inputs.items():
            for year in years:
                out += layout.input_files(spec, var, int(year), var in MONTHLY)
        return list(dict.fromkeys(out))


def _write_tif(path, bands, transform, nodata=None, tags=None, crs="EPSG:4326"):
    data = bands[0]
    with atomic_output(Path(path)) as tmp:
        with rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=data.shape[0],
            width=data.shape[1],
            count=len(bands),
            dtype=data.dtype,
            crs=crs,
            transform=transform,
            nodata=nodata,
            compress="deflate",
            tiled=True,
            blockxsize=256,
            blockysize=256,
        ) as dst:
            for k, b in enumerate(bands, 1):
                dst.write(b, k)
            if tags:
                dst.update_tags(**{k: str(v) for k, v in tags.items()})
