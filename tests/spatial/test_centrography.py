"""Centre of gravity and standard deviational ellipse against pointpats."""

import numpy as np
import pytest

from carbonbalance.spatial.centrography import (
    centre_shift,
    standard_deviational_ellipse,
    weighted_centre,
)


def _pointpats(x, y, w=None):
    from pointpats.centrography import ellipse

    return ellipse(np.column_stack([x, y]), weights=w, method="yuill", crimestatCorr=False, degfreedCorr=False)


def test_centre_and_ellipse():
    rng = np.random.default_rng(8)
    x = rng.normal(0, 5, 300)
    y = 0.6 * x + rng.normal(0, 2, 300)
    e = standard_deviational_ellipse(x, y)
    major, minor, angle = _pointpats(x, y)
    # σy runs along the major axis (azimuth θ clockwise from north); pointpats' angle is π/2 − θ
    assert (e.sigma_y, e.sigma_x) == pytest.approx((major, minor), rel=1e-10)
    assert np.cos(2 * (np.pi / 2 - e.angle - angle)) == pytest.approx(1.0, abs=1e-12)
    assert 0 < e.angle < np.pi / 2  # x and y rise together: the major axis points north-east
    assert weighted_centre([0, 10], [0, 0], [1, 3]) == (7.5, 0.0)
    ew = standard_deviational_ellipse(x, y, weights=np.full(300, 2.5))
    assert ew.sigma_x == pytest.approx(e.sigma_x) and ew.angle == pytest.approx(e.angle)
    wts = rng.gamma(1.0, 2.0, 300)
    ew = standard_deviational_ellipse(x, y, weights=wts)
    major, minor, angle = _pointpats(x, y, wts)
    assert (ew.sigma_y, ew.sigma_x) == pytest.approx((major, minor), rel=1e-10)
    assert np.cos(2 * (np.pi / 2 - ew.angle - angle)) == pytest.approx(1.0, abs=1e-12)
    assert centre_shift(0, 0, 3, 4) == (5.0, pytest.approx(np.degrees(np.arctan2(3, 4))))
    assert centre_shift(0, 0, -1, 0)[1] == pytest.approx(270.0)


@pytest.mark.parametrize(
    "x, y, theta, sx, sy",
    [
        # x spread larger: the major axis runs east-west (θ = 90°), σx the north-south spread
        ([-2.0, 2.0, 0.0, 0.0], [0.0, 0.0, -1.0, 1.0], np.pi / 2, np.sqrt(0.5), np.sqrt(2.0)),
        # y spread larger: the major axis runs north-south (θ = 0), σx the east-west spread
        ([-1.0, 1.0, 0.0, 0.0], [0.0, 0.0, -2.0, 2.0], 0.0, np.sqrt(0.5), np.sqrt(2.0)),
    ],
)
def test_axis_aligned_ellipse_puts_sigma_x_across_the_major_axis(x, y, theta, sx, sy):
    """Σw x'y' = 0: the angle follows the formula's limit, so σx stays the spread across the
    major axis and σy the spread along it, as in the tilted case; pointpats agrees."""
    e = standard_deviational_ellipse(x, y)
    assert (e.angle, e.sigma_x, e.sigma_y) == pytest.approx((theta, sx, sy), rel=1e-12, abs=1e-15)
    # a tiny tilt gives (nearly) the same ellipse: the limit is continuous
    tilt = standard_deviational_ellipse(np.array(x) + 1e-6 * np.array(y), y)
    assert (abs(np.sin(tilt.angle)), tilt.sigma_x, tilt.sigma_y) == pytest.approx(
        (abs(np.sin(theta)), sx, sy), rel=1e-5, abs=1e-5
    )
    major, minor, angle = _pointpats(x, y)
    assert (e.sigma_y, e.sigma_x) == pytest.approx((major, minor), rel=1e-12)
    assert np.cos(2 * (np.pi / 2 - e.angle - angle)) == pytest.approx(1.0, abs=1e-12)


def test_grid_wrappers_weight_cells_by_their_values():
    from rasterio.transform import from_origin

    from carbonbalance.spatial.centrography import grid_centre, grid_ellipse

    a = np.array([[1.0, 0.0, np.nan], [0.0, 0.0, 3.0]])
    t = from_origin(100.0, 50.0, 10.0, 10.0)  # cell centres x 105, 115, 125; y 45, 35
    assert grid_centre(a, t) == (pytest.approx((105 + 3 * 125) / 4), pytest.approx((45 + 3 * 35) / 4))
    e = grid_ellipse(a, t)
    ref = standard_deviational_ellipse([105.0, 125.0], [45.0, 35.0], [1.0, 3.0])
    assert (e.cx, e.sigma_x, e.sigma_y) == pytest.approx((ref.cx, ref.sigma_x, ref.sigma_y))
