"""Decoding and resampling of raster blocks, total-preserving population."""

import numpy as np
import pytest
import rasterio
from conftest import write_tif
from rasterio.warp import transform_bounds

from carbonbalance.core.store import open_store
from carbonbalance.ingest.align import decode
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.stage import align_variable


# --------------------------------------------------------------------------- decoding
def test_decode_applies_fill_valid_range_scale_offset():
    source = {"fill": [-3000.0], "valid_range": [-2000, 10000], "scale": 0.0001, "offset": 0.0}
    raw = np.array([[-3000, 5000, 10001, -2000]], dtype="int16")
    vals, n_fill, n_oor = decode(raw, source)
    assert np.isnan(vals[0, 0]) and np.isnan(vals[0, 2])
    assert vals[0, 1] == pytest.approx(0.5) and vals[0, 3] == pytest.approx(-0.2)
    assert (n_fill, n_oor) == (1, 1)


def test_decode_uses_file_nodata_and_offset():
    source = {"fill": [0.0], "valid_range": None, "scale": 0.02, "offset": 200.0}  # the file's nodata 0
    vals, n_fill, _ = decode(np.array([0, 4000, 65535], dtype="uint16"), source)
    assert np.isnan(vals[0]) and vals[1] == pytest.approx(280.0) and n_fill == 1
    assert vals[2] == pytest.approx(65535 * 0.02 + 200)  # no valid range given: kept


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
    spec = RasterInput.from_config(
        "population", {"path": path, "units": "persons", "resampling": "sum", "max_nodata_share": 1.0}
    )
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


def _sum_by_proj(vals, src_transform, src_crs, grid, rows, cols, k):
    """The definition of the ``sum`` resampling: every sub-pixel centre transformed by PROJ."""
    from pyproj import Transformer

    nr, nc = rows.stop - rows.start, cols.stop - cols.start
    tr = Transformer.from_crs(src_crs, grid.crs, always_xy=True)
    ii, jj = np.nonzero(np.isfinite(vals) & (vals != 0))
    sub = (np.arange(k) + 0.5) / k
    ci = (ii[:, None] + sub[None, :]).repeat(k, axis=1).ravel()
    cj = np.tile(jj[:, None] + sub[None, :], (1, k)).ravel()
    X, Y = tr.transform(*(src_transform @ (cj, ci)))
    bt = grid.block_transform(rows, cols)
    c = np.floor((np.asarray(X) - bt.c) / grid.resolution).astype(np.int64)
    r = np.floor((bt.f - np.asarray(Y)) / grid.resolution).astype(np.int64)
    inside = (c >= 0) & (c < nc) & (r >= 0) & (r < nr)
    wts = np.repeat(vals[ii, jj] / (k * k), k * k)[inside]
    return np.bincount(r[inside] * nc + c[inside], weights=wts, minlength=nr * nc).reshape(nr, nc)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490"])
def test_sum_resampling_equals_proj_on_every_sub_pixel(crs):
    """Interpolated sub-pixel positions with PROJ near the cell edges put every sub-pixel in
    the same cell as PROJ on all of them: the same counts, bit for bit, on a 30" source over
    a national-sized 1 km Albers block (so that many sub-pixels sit near an edge)."""
    from rasterio.transform import from_origin

    from carbonbalance.core.grid import GridSpec
    from carbonbalance.ingest.align import _sum_preserving

    albers = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    grid = GridSpec(crs=albers, xmin=-800_000.0, ymax=3_960_000.0, resolution=1000.0, width=300, height=260)
    rng = np.random.default_rng(4)
    res = 1 / 120
    src_transform = from_origin(96.0, 36.4, res, res)
    vals = rng.gamma(0.5, 200, (320, 420)).astype("float64")
    vals[rng.random(vals.shape) < 0.2] = 0.0
    vals[rng.random(vals.shape) < 0.05] = np.nan
    rows, cols = slice(0, grid.height), slice(0, grid.width)
    ours = _sum_preserving(vals, src_transform, crs, grid, rows, cols)
    assert ours.sum() > 0
    np.testing.assert_array_equal(ours, _sum_by_proj(vals, src_transform, crs, grid, rows, cols, k=2))
