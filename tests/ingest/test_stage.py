"""Alignment of a variable-year to a store: units, month lengths, atomic output."""

import numpy as np
import pytest
from conftest import ndvi_spec, write_ndvi_year, write_tif

from carbonbalance.core.store import open_store
from carbonbalance.errors import InputError
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.stage import align_variable


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
    spec = RasterInput.from_config(
        "radiation", {"path": str(tmp_path / "r_{month}.tif"), "units": "W m-2", "resampling": "bilinear"}
    )
    align_variable(spec, 2020, small_grid, tmp_path / "r.zarr")
    r = open_store(tmp_path / "r.zarr")["radiation"]
    assert r.attrs["units"] == "MJ m-2 month-1"
    # stored packed: within the store's stated precision (half a step of 0.025 MJ m-2)
    tol = r.attrs["precision"] * (1 + 1e-6)
    assert r.attrs["precision"] == 0.0125
    assert float(r.sel(month=2).mean()) == pytest.approx(8.64 * 29, abs=tol)
    assert float(r.sel(month=3).mean()) == pytest.approx(8.64 * 31, abs=tol)


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
