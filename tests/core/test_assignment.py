"""The one cell-to-unit assignment: centre labels with a borrowed cell, geometry repair."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon

from carbonbalance.core.assignment import build_coverage
from carbonbalance.errors import InputError
from carbonbalance.zonal.engine import zonal_sums


def test_centre_mode_equals_rasterstats_with_one_borrowed_cell(irregular):
    """Centre labels are rasterstats' (all_touched=False), except that the district without a
    cell centre has the cell holding most of its area, taken from the unit that held it."""
    from rasterstats import zonal_stats

    grid, gdf, values = irregular
    cov, rec = build_coverage(gdf, grid, "county_id")
    s, c = zonal_sums(cov, values, "centre", rows_per_band=5)
    zs = zonal_stats(
        gdf.to_crs(grid.crs),
        np.where(np.isnan(values), -9999.0, values),
        affine=grid.transform,
        nodata=-9999.0,
        stats=["sum", "mean", "count"],
    )
    ref_s = np.array([z["sum"] or 0.0 for z in zs])
    ref_c = np.array([z["count"] for z in zs], dtype=float)
    b = rec["units_at_borrowed_cell"]["T"]
    assert b["taken_from"] == "A" and list(rec["units_at_borrowed_cell"]) == ["T"]
    # the borrowed cell is the district's largest piece
    mine = cov.unit == 4
    assert b["fraction"] == pytest.approx(cov.fraction[mine].max()) and cov.centre[b["row"], b["col"]] == 4
    v = values[b["row"], b["col"]]
    moved = 0.0 if np.isnan(v) else v
    ref_s[4], ref_s[0] = ref_s[4] + moved, ref_s[0] - moved
    ref_c[4], ref_c[0] = ref_c[4] + np.isfinite(v), ref_c[0] - np.isfinite(v)
    np.testing.assert_allclose(s, ref_s, rtol=1e-9)
    np.testing.assert_allclose(c, ref_c)
    np.testing.assert_allclose((s / np.where(c > 0, c, np.nan))[1:4], [z["mean"] for z in zs][1:4], rtol=1e-9)
    assert (cov.centre == 4).sum() == 1


def test_invalid_geometries_are_repaired_and_empty_ones_named(irregular):
    grid, gdf, values = irregular
    bad = gdf.to_crs(grid.crs)
    x0, y0, _, _ = grid.bounds
    bowtie = Polygon(
        [(x0 + 30_000, y0 + 30_000), (x0 + 40_000, y0 + 38_000), (x0 + 40_000, y0 + 30_000), (x0 + 30_000, y0 + 38_000)]
    )  # self-intersecting
    bad = pd.concat(
        [bad, gpd.GeoDataFrame({"county_id": ["X"], "province_id": ["Q"]}, geometry=[bowtie], crs=bad.crs)],
        ignore_index=True,
    )
    cov, rec = build_coverage(bad, grid, "county_id")
    assert rec["repaired_geometries"] == 1
    s, c = zonal_sums(cov, np.ones(grid.shape), "exact")
    assert c[-1] == pytest.approx(bowtie.buffer(0).area / 1e6 if False else 40.0, rel=1e-9)  # two 20 km² triangles
    bad.loc[5, "geometry"] = Polygon()
    with pytest.raises(InputError, match=r"unit\(s\) \['X'\] have no geometry"):
        build_coverage(bad, grid, "county_id")
