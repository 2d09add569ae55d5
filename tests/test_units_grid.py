"""Unit conversions, the target grid and cell areas."""

import math

import numpy as np
import pytest

from carbonbalance.errors import ConfigError
from carbonbalance.core.grid import cell_area_m2, CHINA_ALBERS, EARTH_RADIUS_M, GridSpec
from carbonbalance.ingest.units import days_in_month, to_canonical


@pytest.mark.parametrize("year,month,days", [(2019, 2, 28), (2020, 2, 29), (2000, 2, 29), (1900, 2, 28),
                                              (2021, 1, 31), (2021, 4, 30), (2021, 12, 31)])
def test_days_in_month_real_calendar(year, month, days):
    assert days_in_month(year, month) == days


def test_w_m2_to_mj_m2_month_uses_real_month_lengths():
    w = np.array([100.0])
    # 100 W m-2 for a day = 8.64 MJ m-2
    assert to_canonical(w, "radiation", "W m-2", 2021, 1)[0] == pytest.approx(8.64 * 31, rel=1e-12)
    assert to_canonical(w, "radiation", "W m-2", 2019, 2)[0] == pytest.approx(8.64 * 28, rel=1e-12)
    assert to_canonical(w, "radiation", "W m-2", 2020, 2)[0] == pytest.approx(8.64 * 29, rel=1e-12)  # leap
    assert to_canonical(w, "radiation", "W m-2", 2020, 4)[0] == pytest.approx(8.64 * 30, rel=1e-12)


def test_other_unit_conversions():
    assert to_canonical(np.array([5e8]), "radiation", "J m-2")[0] == pytest.approx(500.0)
    assert to_canonical(np.array([300.15]), "temperature", "K")[0] == pytest.approx(27.0)
    assert to_canonical(np.array([2.0]), "precipitation", "mm day-1", 2020, 2)[0] == pytest.approx(58.0)
    assert to_canonical(np.array([0.1]), "precipitation", "m")[0] == pytest.approx(100.0)


@pytest.mark.parametrize("year, days", [(2020, 29), (2019, 28)])
def test_era5_per_day_accumulations_times_the_days_of_february(year, days):
    """ERA5(-Land) monthly means are per-day accumulations: m day-1 of precipitation and
    J m-2 day-1 of solar radiation, × the real number of days (February 2020: 29)."""
    tp = to_canonical(np.array([0.003]), "precipitation", "m day-1", year, 2)[0]
    assert tp == pytest.approx(3.0 * days, rel=1e-12)  # mm month-1
    ssrd = to_canonical(np.array([1.5e7]), "radiation", "J m-2 day-1", year, 2)[0]
    assert ssrd == pytest.approx(15.0 * days, rel=1e-12)  # MJ m-2 month-1
    with pytest.raises(ConfigError, match="needs the year and month"):
        to_canonical(np.array([1.0]), "radiation", "J m-2 day-1")


def test_unknown_unit_names_variable_and_key():
    with pytest.raises(ConfigError, match=r"inputs\.radiation\.units: unknown unit 'cal cm-2'"):
        to_canonical(np.array([1.0]), "radiation", "cal cm-2", 2020, 1)


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
    expect_top = EARTH_RADIUS_M ** 2 * math.radians(1) * (math.sin(math.radians(31)) - math.sin(math.radians(30)))
    assert a[0, 0] == pytest.approx(expect_top, rel=1e-12)
    assert a[1, 1] > a[0, 1]  # cells shrink toward the pole
    # the whole sphere sums to 4 pi R^2
    world = GridSpec.from_bounds("EPSG:4326", 10.0, (-180, -90, 180, 90))
    assert cell_area_m2(world).sum() == pytest.approx(4 * math.pi * EARTH_RADIUS_M ** 2, rel=1e-12)


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
