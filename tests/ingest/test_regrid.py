"""Regridding weights (stored source positions) and the bilinear / nearest kernels, against GDAL."""

import dataclasses

import numpy as np
import pytest
import rasterio
from conftest import CHINA_ALBERS, write_tif
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from rasterio.vrt import WarpedVRT
from rasterio.warp import reproject

from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import open_store
from carbonbalance.ingest import regrid
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.sources import resolve_sources
from carbonbalance.ingest.stage import align_variable

SRC = from_origin(113.7, 30.6, 0.01, 0.01)  # 0.01° source, 60 x 90 pixels
H, W = 60, 90


def _field(seed=0, holes=True):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    v = (np.sin(xx / 7.0) + np.cos(yy / 5.0) + rng.normal(0, 0.3, (H, W))).astype("float32")
    if holes:
        v[20:28, 30:45] = np.nan
        v[rng.random((H, W)) < 0.05] = np.nan
    return v


def _grid(small_grid, res, extend=0.0):
    """A grid at ``res`` metres over the small grid's area; ``extend`` metres beyond the source."""
    x0, y0, x1, y1 = small_grid.bounds
    return GridSpec.from_bounds(CHINA_ALBERS, res, (x0 - extend, y0, x1 + extend, y1 + extend), chunk=16)


def _gdal(data, grid, method, scale, tolerance):
    """GDAL's warp of ``data`` onto ``grid``; ``tolerance`` ~0 makes its transformation exact."""
    with MemoryFile() as mf:
        with mf.open(driver="GTiff", width=W, height=H, count=1, dtype="float64", crs="EPSG:4326", transform=SRC,
                     nodata=np.nan) as ds:  # fmt: skip
            ds.write(data.astype("float64"), 1)
        with mf.open() as ds, WarpedVRT(ds, crs=grid.crs, transform=grid.transform, width=grid.width,
                                        height=grid.height, resampling=Resampling[method], tolerance=tolerance,
                                        nodata=np.nan, XSCALE=repr(scale[0]), YSCALE=repr(scale[1])) as v:  # fmt: skip
            return v.read(1)


def _ours(data, grid, method, scale):
    sg = regrid.SourceGrid("EPSG:4326", tuple(SRC)[:6], W, H)
    out = np.full(grid.shape, np.nan, dtype="float32")
    for rows, cols in grid.blocks():
        sx, sy = regrid.Weights(sg, grid).block(rows, cols)
        win = regrid.support(sx, sy, sg, scale, method)
        if win is not None:
            stack = data[win.row_off : win.row_off + win.height, win.col_off : win.col_off + win.width, None]
            out[rows, cols] = regrid.resample(stack, sx, sy, win, scale, method)[0]
    return out


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize(
    ("res", "scale"),
    [
        (500, (1.7, 2.1)),
        (1000, (0.97, 0.96)),
        (1000, (0.85, 0.9)),
        (1000, (0.89, 1.01)),
        (1500, (0.57, 0.6)),
        (3000, (0.5, 0.3)),
    ],
)
def test_kernels_equal_gdal_with_an_exact_transformation(small_grid, method, res, scale):
    """Same no-data cells and the same values (to float32 precision) as GDAL's warp with an
    exact coordinate transformation, over holes, the widened filter of a coarser grid and a
    grid reaching beyond the source raster."""
    grid = _grid(small_grid, res, extend=15_000)
    data = _field()
    ours = _ours(data, grid, method, scale)
    gdal = _gdal(data, grid, method, scale, tolerance=1e-9)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(gdal))
    assert np.isnan(ours).any() and np.isfinite(ours).sum() > 100
    np.testing.assert_allclose(ours, gdal, rtol=2e-7, atol=2e-7, equal_nan=True)


def test_gdal_approximate_transformer_differs_by_at_most_its_position_error(small_grid):
    """GDAL's default transformer (error ≤ 0.125 source pixel) against exact positions: the
    values differ by at most 0.125 pixel times the largest difference between neighbours."""
    grid = _grid(small_grid, 1000)
    data = _field(holes=False)
    ours = _ours(data, grid, "bilinear", (1.0, 1.0))
    gdal = np.full(grid.shape, np.nan)
    reproject(data.astype("float64"), gdal, src_transform=SRC, src_crs="EPSG:4326", dst_transform=grid.transform,
              dst_crs=grid.crs, resampling=Resampling.bilinear, XSCALE="1", YSCALE="1")  # fmt: skip
    step = max(np.abs(np.diff(data, axis=0)).max(), np.abs(np.diff(data, axis=1)).max())
    both = np.isfinite(ours) & np.isfinite(gdal)
    diff = np.abs(ours - gdal)[both]
    assert 0 < diff.max() <= 0.125 * 2 * step  # both axes may be off by 0.125 pixel


def test_stored_positions_equal_computed_ones_and_are_reused(tmp_path, small_grid, caplog):
    sg = regrid.SourceGrid("EPSG:4326", tuple(SRC)[:6], W, H)
    w = regrid.Weights.cached(sg, small_grid, tmp_path / "regrid", threads=2)
    assert (tmp_path / "regrid" / f"{sg.key(small_grid)}.zarr").is_dir()
    for rows, cols in list(small_grid.blocks())[:5]:
        a = w.block(rows, cols)
        b = regrid.positions(small_grid, rows, cols, sg)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    stamp = (tmp_path / "regrid" / f"{sg.key(small_grid)}.zarr" / "zarr.json").stat().st_mtime_ns
    caplog.set_level("INFO")
    regrid.Weights.cached(sg, dataclasses.replace(small_grid, chunk=23), tmp_path / "regrid")  # block size: same key
    assert "reused" in caplog.text
    assert (tmp_path / "regrid" / f"{sg.key(small_grid)}.zarr" / "zarr.json").stat().st_mtime_ns == stamp
    other = regrid.SourceGrid("EPSG:4326", tuple(from_origin(113.7, 30.6, 0.02, 0.02))[:6], W, H)
    assert other.key(small_grid) != sg.key(small_grid)


def _monthly(tmp_path):
    rng = np.random.default_rng(4)
    for m in range(1, 13):
        v = (rng.uniform(2000, 8000, (H, W))).astype("int16")
        v[rng.random((H, W)) < 0.02] = -3000
        write_tif(tmp_path / f"ndvi_2020_{m:02d}.tif", v, nodata=-3000)
    return RasterInput.from_config(
        "ndvi",
        {
            "path": str(tmp_path / "ndvi_{year}_{month:02d}.tif"),
            "units": "1",
            "scale": 0.0001,
            "fill": [-3000],
            "resampling": "bilinear",
            "max_nodata_share": 1.0,
        },  # fmt: skip
    )


def test_alignment_does_not_depend_on_the_block_size_and_equals_it_without_the_cache(tmp_path, small_grid):
    spec = _monthly(tmp_path)
    outs = []
    for chunk in (16, 23, 64):
        g = dataclasses.replace(small_grid, chunk=chunk)
        align_variable(spec, 2020, g, tmp_path / f"n{chunk}.zarr", cache_dir=tmp_path / "regrid")
        outs.append(open_store(tmp_path / f"n{chunk}.zarr")["ndvi"].values)
    assert len(list((tmp_path / "regrid").glob("*.zarr"))) == 1  # one source grid, one store
    align_variable(spec, 2020, small_grid, tmp_path / "plain.zarr")  # positions computed per block
    outs.append(open_store(tmp_path / "plain.zarr")["ndvi"].values)
    for o in outs[1:]:
        np.testing.assert_array_equal(outs[0], o)
    # and every month equals GDAL's one-band warp of that month's file (exact transformation)
    with rasterio.open(tmp_path / "ndvi_2020_07.tif") as src:
        raw = src.read(1).astype("float32")
    data = np.where(raw == -3000, np.nan, raw * np.float32(1e-4)).astype("float32")
    scale = resolve_sources(spec, 2020, small_grid)[6]["warp_scale"]
    gdal = _gdal(data, small_grid, "bilinear", scale, tolerance=1e-9)
    np.testing.assert_allclose(outs[0][6], gdal, atol=0.5e-4 + 1e-6, equal_nan=True)  # packed at 1e-4
