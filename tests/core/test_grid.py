"""The target grid: snapping, cell areas, JSON round trip, blocks."""

import math

import numpy as np
import pytest

from carbonbalance.core.grid import CHINA_ALBERS, EARTH_RADIUS_M, GridSpec, cell_area_m2


def test_grid_snaps_outward():
    g = GridSpec.from_bounds(CHINA_ALBERS, 1000, (1500.5, -200, 4200, 2999))
    assert g.bounds == (1000.0, -1000.0, 5000.0, 3000.0)
    assert g.shape == (4, 4)


def test_equal_area_cell_area_is_resolution_squared(small_grid):
    a = cell_area_m2(small_grid)
    assert a.shape == small_grid.shape
    assert np.all(a == 1e6)


def test_geographic_cell_area_spherical_formula():
    g = GridSpec.from_bounds("EPSG:4326", 1.0, (100, 29, 102, 31))
    a = cell_area_m2(g)
    expect_top = EARTH_RADIUS_M**2 * math.radians(1) * (math.sin(math.radians(31)) - math.sin(math.radians(30)))
    assert a[0, 0] == pytest.approx(expect_top, rel=1e-12)
    assert a[1, 1] > a[0, 1]  # cells shrink toward the pole
    # the whole sphere sums to 4 pi R^2
    world = GridSpec.from_bounds("EPSG:4326", 10.0, (-180, -90, 180, 90))
    assert cell_area_m2(world).sum() == pytest.approx(4 * math.pi * EARTH_RADIUS_M**2, rel=1e-12)


def test_conformal_projection_cell_area_uses_scale_factor():
    g = GridSpec.from_bounds("EPSG:3857", 1000, (12_600_000, 3_500_000, 12_610_000, 3_510_000))
    a = cell_area_m2(g)
    lat = math.degrees(2 * math.atan(math.exp(3_505_000 / 6378137)) - math.pi / 2)
    # Mercator areal scale is sec²(φ) on the sphere; the ellipsoid differs by < 1 %
    assert a.mean() == pytest.approx(1e6 * math.cos(math.radians(lat)) ** 2, rel=1e-2)


def test_grid_json_roundtrip(tmp_path, small_grid):
    small_grid.to_json(tmp_path / "g.json")
    assert GridSpec.from_json(tmp_path / "g.json") == small_grid


def test_blocks_cover_grid_exactly(small_grid):
    seen = np.zeros(small_grid.shape, dtype=int)
    for r, c in small_grid.blocks():
        seen[r, c] += 1
    assert np.all(seen == 1)
