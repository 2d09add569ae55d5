"""Checks of raster inputs: files, CRS, overlap, valid range, coverage and distributions, damaged files."""

import numpy as np
import pytest
import rasterio
from conftest import ndvi_spec, write_ndvi_year, write_tif
from rasterio.warp import transform_bounds

from carbonbalance.core.store import open_store
from carbonbalance.errors import InputError
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.sources import resolve_sources
from carbonbalance.ingest.stage import align_variable


# --------------------------------------------------------------------------- errors
def test_missing_monthly_file_is_named(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path)
    (tmp_path / "ndvi_2020_05.tif").unlink()
    message = r"ndvi: missing input for 2020:\n  inputs\.ndvi\.path, 2020, month 05: no file matches .*_05\.tif"
    with pytest.raises(InputError, match=message):
        resolve_sources(ndvi_spec(pattern), 2020, small_grid)


def test_raster_not_overlapping_region(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path, west=100.0, north=40.0)
    with pytest.raises(
        InputError,
        match=r"ndvi: .*ndvi_2020_01\.tif \(year 2020, month 01\): raster does not "
        r"overlap the region",
    ):
        resolve_sources(ndvi_spec(pattern), 2020, small_grid)


def test_raster_without_crs(tmp_path, small_grid):
    path = write_tif(tmp_path / "ntl.tif", np.ones((60, 90), dtype="float32"), crs=None)
    spec = RasterInput.from_config("nightlight", {"path": path, "units": "DN", "resampling": "average"})
    with pytest.raises(InputError, match=r"nightlight: .*ntl\.tif: raster has no CRS; .*inputs\.nightlight\.crs"):
        resolve_sources(spec, 2020, small_grid)
    # the config can supply it
    spec = RasterInput.from_config(
        "nightlight", {"path": path, "units": "DN", "resampling": "average", "crs": "EPSG:4326"}
    )
    assert resolve_sources(spec, 2020, small_grid)[0]["crs"] == "EPSG:4326"


def test_ndvi_that_looks_scaled(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path, value=7200)
    spec = ndvi_spec(pattern, scale=1.0, valid_range=None)
    with pytest.raises(
        InputError,
        match=r"ndvi: .*values from 7200 to 7200 .*NDVI looks scaled: set "
        r"inputs\.ndvi\.scale",
    ):
        align_variable(spec, 2020, small_grid, tmp_path / "n.zarr")
    assert not (tmp_path / "n.zarr").exists()  # nothing half-written under the final name


def test_landcover_code_missing_from_mapping(tmp_path, small_grid):
    lc = np.full((60, 90), 12, dtype="uint8")
    lc[35:45, 40:60] = 2
    lc[45:55, 60:75] = 42
    path = write_tif(tmp_path / "lc.tif", lc, nodata=255)
    spec = RasterInput.from_config("landcover", {"path": path, "units": "class", "resampling": "mode"})
    with pytest.raises(
        InputError,
        match=r"landcover: .*lc\.tif: class code\(s\) \[42\] are not in the mapping "
        r"table landcover_classes",
    ):
        align_variable(spec, 2020, small_grid, tmp_path / "lc.zarr", class_codes=range(1, 18))
    rec = align_variable(spec, 2020, small_grid, tmp_path / "lc.zarr", class_codes=[2, 12, 42])
    assert rec["codes"] == [2, 12, 42]
    out = open_store(tmp_path / "lc.zarr")["landcover"].values
    assert set(np.unique(out[~np.isnan(out)]).astype(int)) <= {2, 12, 42}


def test_values_outside_valid_range_beyond_share(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path, value=12000)
    with pytest.raises(InputError, match=r"outside the valid range .*max_invalid_share"):
        align_variable(ndvi_spec(pattern), 2020, small_grid, tmp_path / "n.zarr")


def _year(tmp_path, var, make, **kw):
    for m in range(1, 13):
        write_tif(tmp_path / f"{var}_{m:02d}.tif", make(m), **kw)
    return str(tmp_path / (var + "_{month:02d}.tif"))


def test_ndvi_already_in_0_1_but_declared_scaled_stops_the_run(tmp_path, small_grid):
    pattern = _year(tmp_path, "ndvi", lambda m: np.full((60, 90), 0.6 + 0.01 * m, dtype="float32"))
    spec = RasterInput.from_config("ndvi", {"path": pattern, "units": "1", "scale": 0.0001, "resampling": "bilinear"})
    with pytest.raises(
        InputError,
        match=r"ndvi 2020 \(.*ndvi_\*\.tif\): the 95th percentile of NDVI over the region's "
        r"cell-months is 0\.00025, outside the plausible range \[0\.2, 1\.0\] after "
        r"scale 0\.0001 .*inputs\.ndvi\.scale.*inputs\.ndvi\.plausible_range",
    ):
        align_variable(spec, 2020, small_grid, tmp_path / "n.zarr")
    assert not (tmp_path / "n.zarr").exists()
    ok = RasterInput.from_config("ndvi", {"path": pattern, "units": "1", "resampling": "bilinear"})
    rec = align_variable(ok, 2020, small_grid, tmp_path / "n.zarr")
    assert rec["distribution_check"]["value"] == pytest.approx(0.72, abs=0.001)


def test_radiation_in_w_m2_declared_as_mj_m2_stops_the_run(tmp_path, small_grid):
    pattern = _year(tmp_path, "srad", lambda m: np.full((60, 90), 120 + 60 * np.sin(np.pi * m / 12), dtype="float32"))
    wrong = RasterInput.from_config("radiation", {"path": pattern, "units": "MJ m-2", "resampling": "bilinear"})
    with pytest.raises(
        InputError,
        match=r"radiation 2020 .*median annual solar radiation .* is 1898, "
        r"outside the plausible range \[2500\.0, 9000\.0\] .*from 'MJ m-2'.*"
        r"inputs\.radiation\.units",
    ):
        align_variable(wrong, 2020, small_grid, tmp_path / "r.zarr")
    right = RasterInput.from_config("radiation", {"path": pattern, "units": "W m-2", "resampling": "bilinear"})
    rec = align_variable(right, 2020, small_grid, tmp_path / "r.zarr")
    assert 4000 < rec["distribution_check"]["value"] < 6000  # about 160 W m-2 all year


def test_temperature_covering_half_the_region_stops_the_run(tmp_path, small_grid):
    from carbonbalance.core.grid import CHINA_ALBERS

    w, s, e, n = transform_bounds(CHINA_ALBERS, "EPSG:4326", *small_grid.bounds)
    half = (e - w) / 2
    pattern = _year(
        tmp_path,
        "tmean",
        lambda m: np.full((120, 60), 150, dtype="int16"),
        west=w - 0.01,
        north=n + 0.01,
        res=(half + 0.01) / 60,
    )
    spec = RasterInput.from_config(
        "temperature", {"path": pattern, "units": "degC", "scale": 0.1, "resampling": "bilinear"}
    )
    region = np.ones(small_grid.shape, dtype=bool)
    with pytest.raises(
        InputError,
        match=r"temperature: .*tmean_01\.tif \(year 2020, month 01\): \d+ of the region's "
        r"2000 cells \(\d\d\.\d %\) have no data after alignment; the limit is "
        r"inputs\.temperature\.max_nodata_share = 0\.1",
    ):
        align_variable(spec, 2020, small_grid, tmp_path / "t.zarr", region=region)
    # the region is what counts: cells outside the units may lack data
    region[:, small_grid.width // 5 :] = False
    align_variable(spec, 2020, small_grid, tmp_path / "t.zarr", region=region)


def test_a_whole_ndvi_month_without_data_stops_the_alignment(tmp_path, small_grid):
    def month(m):
        a = np.full((60, 90), 6000, dtype="int16")
        return np.full_like(a, -3000) if m == 5 else a

    pattern = _year(tmp_path, "ndvi", month)
    spec = RasterInput.from_config(
        "ndvi", {"path": pattern, "units": "1", "scale": 0.0001, "fill": [-3000], "resampling": "bilinear"}
    )
    with pytest.raises(
        InputError,
        match=r"ndvi_05\.tif \(year 2020, month 05\): 2000 of the region's 2000 cells "
        r"\(100\.0 %\) have no data",
    ):
        align_variable(spec, 2020, small_grid, tmp_path / "n.zarr")


def test_a_corrupt_tile_names_the_file(tmp_path, small_grid):
    data = (np.arange(256 * 256, dtype="float32").reshape(256, 256) % 97) + 1
    path = tmp_path / "ntl.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=256,
        width=256,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=rasterio.transform.from_origin(113.6, 30.7, 0.004, 0.004),
        tiled=True,
        blockxsize=64,
        blockysize=64,
        compress="deflate",
    ) as dst:
        dst.write(data, 1)
    with rasterio.open(path) as src:  # where the tiles' compressed bytes are
        offsets = [int(src.get_tag_item(f"BLOCK_OFFSET_{c}_{r}", "TIFF", bidx=1)) for r in range(4) for c in range(4)]
    raw = bytearray(path.read_bytes())
    for off in offsets:
        raw[off : off + 40] = b"\xff" * 40
    path.write_bytes(bytes(raw))
    spec = RasterInput.from_config("nightlight", {"path": str(path), "units": "nW cm-2 sr-1", "resampling": "average"})
    with pytest.raises(
        InputError,
        match=r"nightlight: .*ntl\.tif: reading rows \d+-\d+ and columns \d+-\d+ of .*"
        r"ntl\.tif failed .*damaged",
    ):
        align_variable(spec, 2020, small_grid, tmp_path / "ntl.zarr")
