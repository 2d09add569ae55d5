"""Inputs as the products deliver them (issue 17): every layout gives the same aligned values
as the same data in plain GeoTIFFs, and every missing piece is named."""

import numpy as np
import pytest
import rasterio
from conftest import write_tif
from rasterio.transform import Affine, from_origin

from carbonbalance.core.store import open_store
from carbonbalance.demo.products import split_columns, write_esri_grid, write_hdf_eos, write_netcdf
from carbonbalance.errors import InputError
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.sources import resolve_sources
from carbonbalance.ingest.stage import align_variable

LONLAT = from_origin(113.7, 30.6, 0.01, 0.01)  # 60 x 90 pixels around the small grid
SHAPE = (60, 90)


def aligned(tmp_path, name, variable, cfg, grid, year=2020):
    spec = RasterInput.from_config(variable, cfg)
    record = align_variable(spec, year, grid, tmp_path / f"{name}.zarr", threads=2)
    return open_store(tmp_path / f"{name}.zarr")[variable].values, record


def assert_same(a, b):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(a[np.isfinite(a)], b[np.isfinite(b)])


def temperature_months(seed=0):
    """24 months (2019-2020) of int16 temperature packed with scale 0.01 and offset 15 (degC)."""
    rng = np.random.default_rng(seed)
    base = np.linspace(-800, 1200, SHAPE[1])[None, :] + np.linspace(0, 300, SHAPE[0])[:, None]
    return [(base + 400 * np.sin(m / 2) + rng.normal(0, 20, SHAPE)).astype("int16") for m in range(24)]


# --------------------------------------------------------------------------- NetCDF time axis
def test_netcdf_time_axis_with_packed_integers_equals_geotiffs(tmp_path, small_grid):
    months = temperature_months()
    times = [(2019 + k // 12, k % 12 + 1) for k in range(24)]
    attrs = {"scale_factor": 0.01, "add_offset": 15.0, "_FillValue": np.int16(-32767), "units": "degC"}
    write_netcdf(tmp_path / "tas.nc", {"tas": (np.stack(months), attrs, "i2")}, LONLAT, SHAPE, times)
    for m in range(1, 13):  # the same values as plain GeoTIFFs, decoded by the config
        write_tif(tmp_path / f"tas_2020_{m:02d}.tif", months[12 + m - 1], nodata=-32767)
    nc, rec = aligned(tmp_path, "nc", "temperature", {"path": str(tmp_path / "tas.nc"), "variable": "tas"}, small_grid)
    tif, _ = aligned(
        tmp_path,
        "tif",
        "temperature",
        {"path": str(tmp_path / "tas_{year}_{month:02d}.tif"), "units": "degC", "scale": 0.01, "offset": 15.0},
        small_grid,
    )
    assert_same(nc, tif)
    assert rec["decoding_from"] == {  # nothing stated: the file's CF attributes
        "scale": "file scale_factor",
        "offset": "file add_offset",
        "valid_range": "default",
        "fill": "file",
        "units": "file units",
    }
    assert [s["band"] for s in rec["sources"]] == list(range(13, 25))  # picked by the time axis
    assert rec["sources"][0]["time"] == "2020-01" and rec["sources"][0]["crs_from_coordinates"]


def test_a_time_axis_without_the_year_is_named(tmp_path, small_grid):
    months = temperature_months()[:12]
    attrs = {"scale_factor": 0.01, "add_offset": 15.0, "units": "degC"}
    write_netcdf(
        tmp_path / "tas.nc", {"tas": (np.stack(months), attrs, "i2")}, LONLAT, SHAPE, [(2019, m) for m in range(1, 13)]
    )
    spec = RasterInput.from_config("temperature", {"path": str(tmp_path / "tas.nc"), "variable": "tas"})
    with pytest.raises(
        InputError,
        match=r"tas\.nc \(year 2020, month 01\): the time axis runs from 2019-01 to 2019-12; it has no 2020-01",
    ):
        resolve_sources(spec, 2020, small_grid)


def test_a_missing_variable_is_named_with_the_ones_the_file_has(tmp_path, small_grid):
    months = np.stack(temperature_months()[:12])
    write_netcdf(
        tmp_path / "era5.nc",
        {"t2m": (months, {"units": "K"}, "i2"), "tp": (months, {"units": "m"}, "i2")},
        LONLAT,
        SHAPE,
        [(2020, m) for m in range(1, 13)],
    )
    spec = RasterInput.from_config("temperature", {"path": str(tmp_path / "era5.nc"), "variable": "t3m"})
    with pytest.raises(InputError, match=r"era5\.nc has no variable 't3m'; it has \[.*'t2m'.*'tp'.*\]"):
        resolve_sources(spec, 2020, small_grid)


# --------------------------------------------------------------------------- band stacks
def test_a_multiband_stack_counted_from_band_origin_equals_geotiffs(tmp_path, small_grid):
    months = temperature_months()
    with rasterio.open(
        tmp_path / "stack.tif", "w", driver="GTiff", height=SHAPE[0], width=SHAPE[1], count=24, dtype="int16",
        crs="EPSG:4326", transform=LONLAT,
    ) as dst:  # fmt: skip
        for k, band in enumerate(months, 1):
            dst.write(band, k)
    for m in range(1, 13):
        write_tif(tmp_path / f"tas_2020_{m:02d}.tif", months[12 + m - 1])
    common = {"units": "degC", "scale": 0.01}
    stack, rec = aligned(
        tmp_path,
        "stack",
        "temperature",
        {"path": str(tmp_path / "stack.tif"), "band_origin": 2019, **common},
        small_grid,
    )
    tif, _ = aligned(
        tmp_path, "tif", "temperature", {"path": str(tmp_path / "tas_{year}_{month:02d}.tif"), **common}, small_grid
    )
    assert_same(stack, tif)
    assert [s["band"] for s in rec["sources"]] == list(range(13, 25))
    spec = RasterInput.from_config("temperature", {"path": str(tmp_path / "stack.tif"), "band_origin": 2019, **common})
    with pytest.raises(InputError, match=r"has 24 band\(s\); 2021-01 would be band 25"):
        resolve_sources(spec, 2021, small_grid)
    spec = RasterInput.from_config("temperature", {"path": str(tmp_path / "stack.tif"), **common})
    with pytest.raises(
        InputError, match=r"no CF time axis and the path has no \{year\}; set inputs\.temperature\.band_origin"
    ):
        resolve_sources(spec, 2020, small_grid)


# --------------------------------------------------------------------------- HDF4 MODIS tiles
def modis_ndvi(seed=1):
    rng = np.random.default_rng(seed)
    a = rng.integers(-1500, 9000, (64, 110)).astype("int16")
    a[5:8, 10:14] = -3000
    return a


#: a sinusoidal ~1 km lattice over the small grid (MODIS's 926.625433 m pixel rounded to
#: 926.625 m, so that the corners StructMetadata.0 prints with 6 decimals are exact)
SINU = Affine(926.625, 0.0, 10925000.0, 0.0, -926.625, 3385000.0)


def test_modis_hdf4_tiles_with_a_seam_equal_one_geotiff(tmp_path, small_grid):
    """MOD13A3 as delivered: HDF-EOS (HDF4) files per month and tile in the sinusoidal grid,
    named by the month's first day of the year, scale_factor 10000 (a divisor) read by the
    preset; two tiles with a seam across the region align exactly like one GeoTIFF."""
    from carbonbalance.ingest.hdf4 import MODIS_SINUSOIDAL

    attrs = {"long_name": "1 km monthly NDVI", "units": "NDVI", "scale_factor": 10000.0, "add_offset": 0.0,
             "_FillValue": -3000, "valid_range": (-2000, 10000)}  # fmt: skip
    months = [modis_ndvi(m) for m in range(12)]
    for m, a in enumerate(months, 1):
        doy = [1, 32, 61, 92, 122, 153, 183, 214, 245, 275, 306, 336][m - 1]  # 2020 is a leap year
        for tile, (part, tr) in zip(("h27v05", "h28v05"), split_columns(a, SINU, 47)):
            write_hdf_eos(
                tmp_path / f"MOD13A3.A2020{doy:03d}.{tile}.061.2020{m:02d}99.hdf",
                {"1 km monthly NDVI": (part, attrs)},
                tr,
            )
        write_tif(tmp_path / f"ndvi_2020_{m:02d}.tif", a, crs=MODIS_SINUSOIDAL, west=SINU.c, north=SINU.f, res=SINU.a)
    pattern = str(tmp_path / "MOD13A3.A{year}{doy:03d}.{tile}.061.*.hdf")  # the production time stamp is a wildcard
    hdf, rec = aligned(
        tmp_path, "hdf", "ndvi", {"path": pattern, "tiles": ["h27v05", "h28v05"], "product": "MOD13A3"}, small_grid
    )
    tif, _ = aligned(
        tmp_path,
        "tif",
        "ndvi",
        {
            "path": str(tmp_path / "ndvi_{year}_{month:02d}.tif"),
            "units": "1",
            "scale": 0.0001,
            "fill": [-3000],
            "valid_range": [-2000, 10000],
        },
        small_grid,
    )
    assert np.isfinite(hdf).mean() > 0.9
    assert_same(hdf, tif)
    assert rec["sources"][0]["path"].startswith("2 tiles:") and rec["decoding_from"]["scale"] == "preset MOD13A3"


def test_a_missing_tile_and_a_contradicting_preset_are_named(tmp_path, small_grid):
    a = modis_ndvi()
    west, east = split_columns(a, SINU, 47)
    write_hdf_eos(
        tmp_path / "MOD13A3.A2020001.h27v05.061.hdf",
        {"1 km monthly NDVI": (west[0], {"scale_factor": 10000.0})},
        west[1],
    )
    cfg = {
        "path": str(tmp_path / "MOD13A3.A{year}{doy:03d}.{tile}.061.hdf"),
        "tiles": ["h27v05", "h28v05"],
        "product": "MOD13A3",
    }
    with pytest.raises(
        InputError, match=r"inputs\.ndvi\.path, 2020, month 01: no file for tile\(s\) \['h28v05'\]"
    ) as e:
        resolve_sources(RasterInput.from_config("ndvi", cfg), 2020, small_grid)
    assert "month 02: no file for tile(s) ['h27v05', 'h28v05']" in str(e.value)  # every missing step at once
    # a file whose scale_factor is not MOD13A3's is another product: stop, naming the attribute
    write_hdf_eos(tmp_path / "ndvi.hdf", {"1 km monthly NDVI": (a, {"scale_factor": 0.0001})}, SINU)
    cfg = {"path": str(tmp_path / "ndvi.hdf"), "product": "MOD13A3", "band_origin": 2020}
    spec = RasterInput.from_config("ndvi", {**cfg, "path": str(tmp_path / "ndvi_{month}.hdf")})
    for m in range(1, 13):
        write_hdf_eos(tmp_path / f"ndvi_{m}.hdf", {"1 km monthly NDVI": (a, {"scale_factor": 0.0001})}, SINU)
    with pytest.raises(
        InputError,
        match=r"the file's scale_factor is 0\.0001 but product MOD13A3 expects 10000\.0.*inputs\.ndvi\.scale",
    ):
        resolve_sources(spec, 2020, small_grid)
    stated = RasterInput.from_config(
        "ndvi", {"path": str(tmp_path / "ndvi_{month}.hdf"), "product": "MOD13A3", "scale": 0.0001}
    )
    assert resolve_sources(stated, 2020, small_grid)[0]["origin"]["scale"] == "config"  # the config wins


# --------------------------------------------------------------------------- ESRI GRID, mosaics
def test_esri_grid_folders_equal_geotiffs(tmp_path, small_grid):
    rng = np.random.default_rng(3)
    codes = rng.choice([11, 12, 21, 31, 41, 51, 52, 53], SHAPE).astype("int32")
    write_esri_grid(tmp_path / "lucc2020", codes, LONLAT, "EPSG:4326")
    write_tif(tmp_path / "lucc_2020.tif", codes.astype("uint8"))
    grid_, rec = aligned(
        tmp_path, "grid", "landuse", {"path": str(tmp_path / "lucc{year}"), "product": "CNLUCC"}, small_grid
    )
    tif, _ = aligned(
        tmp_path,
        "tif",
        "landuse",
        {"path": str(tmp_path / "lucc_{year}.tif"), "units": "class", "resampling": "mode"},
        small_grid,
    )
    np.testing.assert_array_equal(grid_, tif)
    light = rng.gamma(1.0, 5.0, SHAPE).astype("float32")
    write_esri_grid(tmp_path / "ntl2020", light, LONLAT, "EPSG:4326")
    write_tif(tmp_path / "ntl_2020.tif", light)
    cfg = {"units": "nW cm-2 sr-1", "resampling": "average"}
    a, _ = aligned(tmp_path, "ntl_grid", "nightlight", {"path": str(tmp_path / "ntl{year}"), **cfg}, small_grid)
    b, _ = aligned(tmp_path, "ntl_tif", "nightlight", {"path": str(tmp_path / "ntl_{year}.tif"), **cfg}, small_grid)
    assert_same(a, b)


def test_geotiff_tiles_found_by_a_wildcard_equal_one_mosaic(tmp_path, small_grid):
    light = np.random.default_rng(4).gamma(1.0, 5.0, SHAPE).astype("float32")
    (w, trw), (e, tre) = split_columns(light, LONLAT, 41)
    write_tif(tmp_path / "ntl_2020_tileA.tif", w, west=trw.c, north=trw.f)
    write_tif(tmp_path / "ntl_2020_tileB.tif", e, west=tre.c, north=tre.f)
    write_tif(tmp_path / "whole_2020.tif", light)
    cfg = {"units": "nW cm-2 sr-1", "resampling": "bilinear"}
    tiles, rec = aligned(
        tmp_path, "tiles", "nightlight", {"path": str(tmp_path / "ntl_{year}_tile*.tif"), **cfg}, small_grid
    )
    whole, _ = aligned(tmp_path, "whole", "nightlight", {"path": str(tmp_path / "whole_{year}.tif"), **cfg}, small_grid)
    assert_same(tiles, whole)  # bilinear across the seam: no trace of it
    assert len(rec["sources"][0]["files"]) == 2
    spec = RasterInput.from_config("nightlight", {"path": str(tmp_path / "ntl_{year}_tile*.tif"), **cfg})
    with pytest.raises(InputError, match=r"inputs\.nightlight\.path, 2021: no file matches .*ntl_2021_tile\*\.tif"):
        resolve_sources(spec, 2021, small_grid)


def test_units_must_come_from_somewhere(tmp_path, small_grid):
    write_tif(tmp_path / "t_2020.tif", np.ones(SHAPE, dtype="float32"))
    spec = RasterInput.from_config("nightlight", {"path": str(tmp_path / "t_{year}.tif")})
    with pytest.raises(
        InputError,
        match=r"inputs\.nightlight\.units is not stated, no product preset gives it, and it has no units attribute",
    ):
        resolve_sources(spec, 2020, small_grid)


def test_mod17_npp_land_cover_codes_are_no_data_and_kg_become_g(tmp_path, small_grid):
    from carbonbalance.ingest.align import decode
    from carbonbalance.ingest.units import to_canonical

    raw = np.full((64, 110), 5000, dtype="int16")  # 0.5 kg C m-2 yr-1
    raw[0, :7] = [32761, 32762, 32763, 32764, 32765, 32766, 32767]
    attrs = {"scale_factor": 0.0001, "add_offset": 0.0, "_FillValue": 32767, "valid_range": (-30000, 32700),
             "units": "kg C/m^2"}  # fmt: skip
    write_hdf_eos(tmp_path / "MOD17A3HGF.A2020001.h28v05.061.hdf", {"Npp_500m": (raw, attrs)}, SINU)
    spec = RasterInput.from_config(
        "npp", {"path": str(tmp_path / "MOD17A3HGF.A{year}001.h28v05.061.hdf"), "product": "MOD17A3HGF"}
    )
    (source,) = resolve_sources(spec, 2020, small_grid)
    vals, n_fill, n_oor = decode(raw[:1, :10], source)
    g = to_canonical(vals, "npp", source["units"])
    assert np.isnan(g[0, :7]).all() and g[0, 7] == pytest.approx(500.0) and (n_fill, n_oor) == (7, 0)
