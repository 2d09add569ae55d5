"""Decoding, alignment and the validation errors of raster ingest (SPEC §2)."""

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform_bounds

from carbonbalance.errors import InputError
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.stage import align_variable
from carbonbalance.ingest.checks import check_sources
from carbonbalance.ingest.align import decode
from carbonbalance.core.store import open_store
from conftest import write_tif


def ndvi_spec(pattern, **kw):
    cfg = {"path": pattern, "units": "1", "scale": 0.0001, "fill": [-3000], "valid_range": [-2000, 10000],
           "resampling": "bilinear"}
    cfg.update(kw)
    return RasterInput.from_config("ndvi", cfg)


def write_ndvi_year(tmp_path, year=2020, value=5000, **kw):
    for m in range(1, 13):
        data = np.full((60, 90), value, dtype="int16")
        data[30:33, 40:43] = -3000  # inside the grid footprint
        write_tif(tmp_path / f"ndvi_{year}_{m:02d}.tif", data, nodata=None, **kw)
    return str(tmp_path / "ndvi_{year}_{month:02d}.tif")


# --------------------------------------------------------------------------- decoding
def test_decode_applies_fill_valid_range_scale_offset():
    spec = ndvi_spec("x", offset=0.0)
    raw = np.array([[-3000, 5000, 10001, -2000]], dtype="int16")
    vals, n_fill, n_oor = decode(raw, spec)
    assert np.isnan(vals[0, 0]) and np.isnan(vals[0, 2])
    assert vals[0, 1] == pytest.approx(0.5) and vals[0, 3] == pytest.approx(-0.2)
    assert (n_fill, n_oor) == (1, 1)


def test_decode_uses_file_nodata_and_offset():
    spec = RasterInput.from_config("temperature", {"path": "x", "units": "K", "scale": 0.02, "offset": 200.0,
                                                   "resampling": "bilinear"})
    vals, n_fill, _ = decode(np.array([0, 4000, 65535], dtype="uint16"), spec, nodata=0)
    assert np.isnan(vals[0]) and vals[1] == pytest.approx(280.0) and n_fill == 1
    assert vals[2] == pytest.approx(65535 * 0.02 + 200)  # no valid range given: kept


def test_align_ndvi_scale_fill_and_units(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path)
    rec = align_variable(ndvi_spec(pattern), 2020, small_grid, tmp_path / "out.zarr", threads=2)
    ds = open_store(tmp_path / "out.zarr")
    v = ds["ndvi"]
    assert v.dims == ("month", "y", "x") and v.shape == (12,) + small_grid.shape
    assert v.attrs["units"] == "1"
    assert float(v.max()) == pytest.approx(0.5) and float(v.min()) == pytest.approx(0.5)
    assert rec["n_fill"][0] > 0 and rec["resampling"] == "bilinear"
    assert ds["ndvi"].encoding["chunks"] == (12, 16, 16)


def test_radiation_converted_with_month_length(tmp_path, small_grid):
    for m in range(1, 13):
        write_tif(tmp_path / f"r_{m}.tif", np.full((60, 90), 100.0, dtype="float32"))
    spec = RasterInput.from_config("radiation", {"path": str(tmp_path / "r_{month}.tif"), "units": "W m-2",
                                                 "resampling": "bilinear"})
    align_variable(spec, 2020, small_grid, tmp_path / "r.zarr")
    r = open_store(tmp_path / "r.zarr")["radiation"]
    assert r.attrs["units"] == "MJ m-2 month-1"
    assert float(r.sel(month=2).mean()) == pytest.approx(8.64 * 29, rel=1e-6)
    assert float(r.sel(month=3).mean()) == pytest.approx(8.64 * 31, rel=1e-6)


# --------------------------------------------------------------------------- population
@pytest.mark.parametrize("res", [0.0083333333, 0.05, 0.002])
def test_population_total_conserved(tmp_path, small_grid, res):
    """Sum-preserving alignment: the grid total equals the source total (source inside grid)."""
    rng = np.random.default_rng(1)
    # a source raster strictly inside the grid (114.05-114.43 E, 30.08-30.30 N)
    w, n = 114.05, 30.30
    nx, ny = int(0.38 / res), int(0.22 / res)
    pop = rng.gamma(0.5, 200, (ny, nx)).astype("float32")
    pop[0, :5] = -99999
    path = write_tif(tmp_path / "pop.tif", pop, west=w, north=n, res=res, nodata=-99999)
    # the source covers part of the grid by design: no coverage limit here
    spec = RasterInput.from_config("population", {"path": path, "units": "persons", "resampling": "sum",
                                                  "max_nodata_share": 1.0})
    with rasterio.open(path) as src:
        gb = transform_bounds("EPSG:4326", small_grid.crs, *src.bounds)
    g = small_grid
    assert g.bounds[0] < gb[0] and g.bounds[2] > gb[2] and g.bounds[1] < gb[1] and g.bounds[3] > gb[3]
    rec = align_variable(spec, 2020, g, tmp_path / "p.zarr", threads=2)
    out = open_store(tmp_path / "p.zarr")["population"].values.astype("float64")
    source_total = pop[pop > -99999].astype("float64").sum()
    assert np.nansum(out) == pytest.approx(source_total, rel=1e-6)
    assert rec["total_on_grid"][0] == pytest.approx(source_total, rel=1e-6)
    assert np.nanmin(out) >= 0


def test_population_independent_of_block_size(tmp_path, small_grid):
    import dataclasses
    rng = np.random.default_rng(2)
    path = write_tif(tmp_path / "pop.tif", rng.gamma(0.5, 200, (60, 90)).astype("float32"))
    spec = RasterInput.from_config("population", {"path": path, "units": "persons", "resampling": "sum"})
    outs = []
    for chunk in (16, 23, 64):
        g = dataclasses.replace(small_grid, chunk=chunk)
        align_variable(spec, 2020, g, tmp_path / f"p{chunk}.zarr")
        outs.append(open_store(tmp_path / f"p{chunk}.zarr")["population"].values)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)
    np.testing.assert_allclose(outs[0], outs[2], rtol=1e-6)


# --------------------------------------------------------------------------- errors
def test_missing_monthly_file_is_named(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path)
    (tmp_path / "ndvi_2020_05.tif").unlink()
    with pytest.raises(InputError, match=r"ndvi: missing input file\(s\) for 2020: month 05: .*ndvi_2020_05\.tif"):
        check_sources(ndvi_spec(pattern), 2020, small_grid)


def test_raster_not_overlapping_region(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path, west=100.0, north=40.0)
    with pytest.raises(InputError, match=r"ndvi: .*ndvi_2020_01\.tif \(year 2020, month 01\): raster does not "
                                         r"overlap the region"):
        check_sources(ndvi_spec(pattern), 2020, small_grid)


def test_raster_without_crs(tmp_path, small_grid):
    path = write_tif(tmp_path / "ntl.tif", np.ones((60, 90), dtype="float32"), crs=None)
    spec = RasterInput.from_config("nightlight", {"path": path, "units": "DN", "resampling": "average"})
    with pytest.raises(InputError, match=r"nightlight: .*ntl\.tif: raster has no CRS; .*inputs\.nightlight\.crs"):
        check_sources(spec, 2020, small_grid)
    # the config can supply it
    spec = RasterInput.from_config("nightlight", {"path": path, "units": "DN", "resampling": "average",
                                                  "crs": "EPSG:4326"})
    assert check_sources(spec, 2020, small_grid)[0]["crs"] == "EPSG:4326"


def test_ndvi_that_looks_scaled(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path, value=7200)
    spec = ndvi_spec(pattern, scale=1.0, valid_range=None)
    with pytest.raises(InputError, match=r"ndvi: .*values from 7200 to 7200 .*NDVI looks scaled: set "
                                         r"inputs\.ndvi\.scale"):
        align_variable(spec, 2020, small_grid, tmp_path / "n.zarr")
    assert not (tmp_path / "n.zarr").exists()  # nothing half-written under the final name


def test_landcover_code_missing_from_mapping(tmp_path, small_grid):
    lc = np.full((60, 90), 12, dtype="uint8")
    lc[35:45, 40:60] = 2
    lc[45:55, 60:75] = 42
    path = write_tif(tmp_path / "lc.tif", lc, nodata=255)
    spec = RasterInput.from_config("landcover", {"path": path, "units": "class", "resampling": "mode"})
    with pytest.raises(InputError, match=r"landcover: .*lc\.tif: class code\(s\) \[42\] are not in the mapping "
                                         r"table landcover_classes"):
        align_variable(spec, 2020, small_grid, tmp_path / "lc.zarr", class_codes=range(1, 18))
    rec = align_variable(spec, 2020, small_grid, tmp_path / "lc.zarr", class_codes=[2, 12, 42])
    assert rec["codes"] == [2, 12, 42]
    out = open_store(tmp_path / "lc.zarr")["landcover"].values
    assert set(np.unique(out[~np.isnan(out)]).astype(int)) <= {2, 12, 42}


def test_values_outside_valid_range_beyond_share(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path, value=12000)
    with pytest.raises(InputError, match=r"outside the valid range .*max_invalid_share"):
        align_variable(ndvi_spec(pattern), 2020, small_grid, tmp_path / "n.zarr")


def test_failed_alignment_keeps_previous_output(tmp_path, small_grid):
    pattern = write_ndvi_year(tmp_path)
    out = tmp_path / "n.zarr"
    align_variable(ndvi_spec(pattern), 2020, small_grid, out)
    before = open_store(out)["ndvi"].values.copy()
    write_ndvi_year(tmp_path, value=7200)
    with pytest.raises(InputError):
        align_variable(ndvi_spec(pattern, scale=1.0, valid_range=None), 2020, small_grid, out)
    np.testing.assert_array_equal(open_store(out)["ndvi"].values, before)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".n")] == []
