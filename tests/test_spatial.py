"""Spatial statistics (SPEC §7) against esda, libpysal and pointpats."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from carbonbalance.spatial.centrography import centre_shift, standard_deviational_ellipse, weighted_centre
from carbonbalance.spatial.hotspots import confidence_class, getis_ord, getis_ord_grid
from carbonbalance.spatial.autocorrelation import global_moran, local_moran
from carbonbalance.spatial.neighbours import weights


@pytest.fixture
def lattice():
    """A 6 x 5 lattice of 10 km squares plus an island 25 km east of the last column."""
    cells = [box(c * 1e4, r * 1e4, (c + 1) * 1e4, (r + 1) * 1e4) for r in range(5) for c in range(6)]
    cells.append(box(8.5e4, 2e4, 9e4, 2.5e4))
    gdf = gpd.GeoDataFrame({"unit": range(31)}, geometry=cells, crs="EPSG:3857")
    rng = np.random.default_rng(4)
    y = rng.gamma(2.0, 3.0, 31) + np.r_[np.linspace(0, 8, 30), 0]  # a trend: positive autocorrelation
    return gdf, y


def test_weights_queen_rook_islands(lattice):
    gdf, _ = lattice
    w = weights(gdf)
    assert w.transform == "R" and not w.islands
    # the island is 25 km from the east column's rows 1 and 2 (a tie): linked to one of them, both ways
    assert len(w.neighbors[30]) == 1 and w.neighbors[30][0] in (11, 17) and 30 in w.neighbors[w.neighbors[30][0]]
    assert weights(gdf, islands="keep").islands == [30]
    assert len(weights(gdf, kind="rook").neighbors[7]) == 4 and len(w.neighbors[7]) == 8
    np.testing.assert_allclose([sum(v) for v in w.weights.values()], 1.0)
    inv = weights(gdf, kind="inverse_distance", power=2, transform=None)
    d01 = 1e4
    assert inv.weights[0][inv.neighbors[0].index(1)] == pytest.approx(d01 ** -2)
    assert len(weights(gdf, kind="knn", k=3).neighbors[0]) == 3


def test_global_moran_equals_esda(lattice):
    from esda.moran import Moran

    gdf, y = lattice
    w = weights(gdf)
    r = global_moran(y, w, permutations=199, seed=3)
    np.random.seed(3)
    m = Moran(y, w, permutations=199)
    for ours, theirs in ((r.I, m.I), (r.expected, m.EI), (r.sd_norm, m.seI_norm), (r.z_norm, m.z_norm),
                         (r.p_norm, m.p_norm), (r.sd_rand, m.seI_rand), (r.z_rand, m.z_rand),
                         (r.p_rand, m.p_rand), (r.p_sim, m.p_sim)):
        assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-14)
    assert r.I > 0


def test_local_moran_analytic_and_permutation_follow_esda(lattice):
    from esda.moran import Moran_Local

    gdf, y = lattice
    w = weights(gdf)
    n = len(y)
    lm = Moran_Local(y, w, permutations=499, seed=7)
    a = local_moran(y, w)
    np.testing.assert_allclose(a["Ii"], lm.Is * n / (n - 1), rtol=1e-10)
    quad = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    assert a["quadrant"].tolist() == [quad[q] for q in lm.q]
    perm = local_moran(y, w, inference="permutation", permutations=499, seed=7)
    np.testing.assert_allclose(perm["p"], lm.p_sim)
    assert set(a.loc[a["p"] >= 0.05, "cluster"]) <= {"ns"}
    assert (a.loc[a["p"] < 0.05, "cluster"] == a.loc[a["p"] < 0.05, "quadrant"]).all()


def test_getis_ord_units_equals_esda(lattice):
    from esda.getisord import G_Local

    gdf, y = lattice
    w = weights(gdf, transform=None)
    g = getis_ord(y, w)
    np.testing.assert_allclose(g["z"], G_Local(y, w, transform="B", star=True, permutations=0).Zs, rtol=1e-12)
    assert set(g["class"]) <= {"ns", "hot 90%", "hot 95%", "hot 99%", "cold 90%", "cold 95%", "cold 99%"}
    assert confidence_class([2.6, -2.0, 1.7, 0.3, np.nan]).tolist() == ["hot 99%", "cold 95%", "hot 90%", "ns",
                                                                        "nodata"]


@pytest.mark.parametrize("distance", [1000.0, 2500.0])
def test_grid_getis_ord_equals_esda_distance_band(distance):
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    rng = np.random.default_rng(int(distance))
    a = rng.gamma(1.5, 2.0, (14, 17))
    a[3:6, 4:9] += 6.0
    a[rng.random(a.shape) < 0.1] = np.nan
    z = getis_ord_grid(a, 1000.0, distance)
    rows, cols = np.nonzero(np.isfinite(a))
    pts = np.column_stack([cols * 1000.0, rows * 1000.0])
    w = DistanceBand(pts, threshold=distance * (1 + 1e-9), binary=True, silence_warnings=True)
    ref = G_Local(a[rows, cols], w, transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(z[rows, cols], ref, rtol=1e-8, atol=1e-10)
    assert np.isnan(z[~np.isfinite(a)]).all()


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


@pytest.mark.parametrize("x, y, theta, sx, sy", [
    # x spread larger: the major axis runs east-west (θ = 90°), σx the north-south spread
    ([-2.0, 2.0, 0.0, 0.0], [0.0, 0.0, -1.0, 1.0], np.pi / 2, np.sqrt(0.5), np.sqrt(2.0)),
    # y spread larger: the major axis runs north-south (θ = 0), σx the east-west spread
    ([-1.0, 1.0, 0.0, 0.0], [0.0, 0.0, -2.0, 2.0], 0.0, np.sqrt(0.5), np.sqrt(2.0)),
])
def test_axis_aligned_ellipse_puts_sigma_x_across_the_major_axis(x, y, theta, sx, sy):
    """Σw x'y' = 0: the angle follows the formula's limit, so σx stays the spread across the
    major axis and σy the spread along it, as in the tilted case; pointpats agrees."""
    e = standard_deviational_ellipse(x, y)
    assert (e.angle, e.sigma_x, e.sigma_y) == pytest.approx((theta, sx, sy), rel=1e-12, abs=1e-15)
    # a tiny tilt gives (nearly) the same ellipse: the limit is continuous
    tilt = standard_deviational_ellipse(np.array(x) + 1e-6 * np.array(y), y)
    assert (abs(np.sin(tilt.angle)), tilt.sigma_x, tilt.sigma_y) == pytest.approx((abs(np.sin(theta)), sx, sy),
                                                                                  rel=1e-5, abs=1e-5)
    major, minor, angle = _pointpats(x, y)
    assert (e.sigma_y, e.sigma_x) == pytest.approx((major, minor), rel=1e-12)
    assert np.cos(2 * (np.pi / 2 - e.angle - angle)) == pytest.approx(1.0, abs=1e-12)


def test_local_moran_analytic_moments_equal_exhaustive_total_randomisation():
    """Anselin's (1995) E[I_i] and Var[I_i] are the mean and variance of I_i over all n!
    permutations of the values (total randomisation); checked exhaustively for n = 6."""
    import itertools

    from libpysal.weights import W

    neighbors = {0: [1, 2], 1: [0, 3], 2: [0, 3, 4], 3: [1, 2, 5], 4: [2, 5], 5: [3, 4]}
    w = W(neighbors, silence_warnings=True)
    w.transform = "r"
    y = np.array([3.0, 7.0, 1.0, 4.0, 9.0, 2.5])
    res = local_moran(y, w)
    W_ = w.full()[0]
    n = len(y)
    sims = []
    for perm in itertools.permutations(range(n)):
        yp = y[list(perm)]
        z = yp - yp.mean()
        sims.append(z / ((z ** 2).sum() / n) * (W_ @ z))
    sims = np.array(sims)
    z_exact = (res["Ii"].to_numpy() - sims.mean(axis=0)) / sims.std(axis=0)
    np.testing.assert_allclose(res["z"], z_exact, rtol=1e-10)


def test_hotspot_benchmark_runs_small():
    """benchmarks/hotspots.py end to end on a small grid (a smoke test; no timing is asserted)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "hotspots.py"
    proc = subprocess.run([sys.executable, str(script), "--rows", "160", "--cols", "140", "--distance", "3000"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.fullmatch(r"gi_grid_seconds=\d+\.\d\d", proc.stdout.strip().splitlines()[-1])
    assert float(re.search(r"max \|z - esda\| = (\S+)", proc.stdout).group(1)) < 1e-8


def test_grid_wrappers_weight_cells_by_their_values():
    from rasterio.transform import from_origin

    from carbonbalance.spatial.centrography import grid_centre, grid_ellipse

    a = np.array([[1.0, 0.0, np.nan], [0.0, 0.0, 3.0]])
    t = from_origin(100.0, 50.0, 10.0, 10.0)  # cell centres x 105, 115, 125; y 45, 35
    assert grid_centre(a, t) == (pytest.approx((105 + 3 * 125) / 4), pytest.approx((45 + 3 * 35) / 4))
    e = grid_ellipse(a, t)
    ref = standard_deviational_ellipse([105.0, 125.0], [45.0, 35.0], [1.0, 3.0])
    assert (e.cx, e.sigma_x, e.sigma_y) == pytest.approx((ref.cx, ref.sigma_x, ref.sigma_y))
