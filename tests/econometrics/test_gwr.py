"""MGWR: bandwidths that separate a constant from a varying coefficient; errors."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from carbonbalance import econometrics as em
from carbonbalance.errors import InputError


def grid_units(side):
    u, v = np.meshgrid(np.arange(side), np.arange(side))
    u, v = u.ravel(), v.ravel()
    return gpd.GeoDataFrame(
        {"unit_id": [f"c{i}" for i in range(u.size)], "u": u, "v": v},
        geometry=[box(a * 10_000, b * 10_000, (a + 1) * 10_000, (b + 1) * 10_000) for a, b in zip(u, v)],
        crs="EPSG:3857",
    )


def test_mgwr_bandwidths_separate_a_constant_from_a_varying_coefficient():
    side = 12
    g = grid_units(side)
    rng = np.random.default_rng(3)
    g["x1"], g["x2"] = rng.normal(size=len(g)), rng.normal(size=len(g))
    b2 = 1 + 4 * np.sin(np.pi * g.u / (side - 1)) * np.cos(np.pi * g.v / (side - 1))
    g["y"] = 3 + 3 * g.x1 + b2 * g.x2 + rng.normal(scale=0.5, size=len(g))
    r = em.mgwr(g, "y", ["x1", "x2"])
    n = len(g)
    assert r.bandwidths["x1"] >= 0.8 * n  # constant coefficient: (nearly) global
    assert r.bandwidths["x2"] <= 0.4 * n  # varying coefficient: local
    s = r.summary.set_index("covariate")
    assert s.loc["x2", "max"] - s.loc["x2", "min"] > 5 * (s.loc["x1", "max"] - s.loc["x1", "min"])
    assert list(r.local.columns[:2]) == ["unit_id", "intercept"] and len(r.local) == n
    # the local x2 coefficients follow the true surface (in standard-deviation units)
    scale = g.x2.std(ddof=0) / g.y.std(ddof=0)
    assert np.corrcoef(r.local["x2"], b2 * scale)[0, 1] > 0.9
    assert r.r2 > 0.9


def test_mgwr_errors_name_the_problem():
    g = grid_units(5)
    g["y"], g["x1"] = np.arange(25.0), np.ones(25)
    with pytest.raises(InputError, match=r"\['x1'\] have no variation"):
        em.mgwr(g, "y", ["x1"])
    g["x1"] = np.arange(25.0) % 7
    g.loc[3, "y"] = np.nan
    with pytest.raises(InputError, match=r"\('c3', 'y'\)"):
        em.mgwr(g, "y", ["x1"])


@pytest.mark.parametrize(
    "kernel, fixed, criterion",
    [("bisquare", False, "AICc"), ("gaussian", False, "AICc"), ("bisquare", True, "AICc"), ("bisquare", False, "CV")],
)
def test_the_engine_gives_the_mgwr_packages_bandwidths_coefficients_and_standard_errors(kernel, fixed, criterion):
    """The numba engine against the PySAL mgwr package on the same data: identical
    bandwidths, coefficients and standard errors to 1e-6 (they agree to rounding)."""
    side = 9
    g = grid_units(side)
    rng = np.random.default_rng(5)
    g["x1"], g["x2"] = rng.normal(size=len(g)), rng.normal(size=len(g))
    g["y"] = 1 + (1 + 0.2 * g.u) * g.x1 - 0.5 * g.x2 + rng.normal(scale=0.5, size=len(g))
    kw = dict(kernel=kernel, fixed=fixed, criterion=criterion)
    if fixed:
        kw["bw_min"] = 25.0  # km
    ours = em.mgwr(g, "y", ["x1", "x2"], threads=2, **kw)
    ref = em.mgwr(g, "y", ["x1", "x2"], engine="mgwr", **kw)
    pd.testing.assert_series_equal(ours.bandwidths, ref.bandwidths)
    cols = [c for c in ref.local.columns if c != "unit_id" and not c.endswith("_significant")]
    np.testing.assert_allclose(ours.local[cols].to_numpy(), ref.local[cols].to_numpy(), rtol=1e-6, atol=1e-9)
    assert (ours.local.filter(like="_significant") == ref.local.filter(like="_significant")).all().all()
    assert ours.aicc == pytest.approx(ref.aicc, rel=1e-9) and ours.r2 == pytest.approx(ref.r2, rel=1e-12)
    assert ours.adj_r2 == pytest.approx(ref.adj_r2, rel=1e-9)


def test_the_engine_with_row_blocks_agrees_with_the_package(monkeypatch):
    """The inference through row blocks (8 units a block, so that they are chosen at 225
    units for the local covariate) gives the package's standard errors to 1e-6."""
    from carbonbalance.econometrics import gwr_engine as ge

    monkeypatch.setattr(ge, "BLOCK_ROWS", 8)
    kinds = []
    monkeypatch.setattr(ge, "product_kind", lambda *a, _kind=ge.product_kind: kinds.append(_kind(*a)) or kinds[-1])
    g = grid_units(15)
    rng = np.random.default_rng(6)
    g["x1"], g["x2"] = rng.normal(size=len(g)), rng.normal(size=len(g))
    g["y"] = np.sin(g.u / 2.0) * 3 * g.x1 - 0.5 * g.x2 + rng.normal(scale=0.3, size=len(g))
    ours = em.mgwr(g, "y", ["x1", "x2"], threads=2)
    ref = em.mgwr(g, "y", ["x1", "x2"], engine="mgwr")
    pd.testing.assert_series_equal(ours.bandwidths, ref.bandwidths)
    cols = [c for c in ref.local.columns if c != "unit_id" and not c.endswith("_significant")]
    np.testing.assert_allclose(ours.local[cols].to_numpy(), ref.local[cols].to_numpy(), rtol=1e-6, atol=1e-9)
    assert "blocks" in kinds, kinds


@pytest.mark.parametrize("fixed, bws", [(False, [120, 119, 100, 60]), (True, [400.0, 250.0])])
def test_the_low_rank_smoother_product_equals_the_dense_one(fixed, bws):
    """A near-global bisquare smoother times a matrix as the rank-16 untruncated kernel minus
    the entries beyond the bandwidth equals the dense product (to rounding), for adaptive and
    fixed bandwidths and however many neighbours fall outside."""
    from carbonbalance.econometrics import gwr_engine as ge
    from carbonbalance.econometrics import gwr_kernels as gk

    rng = np.random.default_rng(8)
    n = 120
    coords = rng.uniform(0, 300, size=(n, 2)) + [5.0e3, 3.0e3]  # km, far from the origin
    space = ge.Space(coords, kernel="bisquare", fixed=fixed, threads=2)
    x, M = rng.normal(size=n) + 2.0, rng.normal(size=(n, n))
    centred = coords - coords.mean(axis=0)
    scale = float(np.abs(centred).max())
    work = {"P": centred / scale, "scale": scale, "coef": np.empty(n), "f": np.empty((n, 4)),
            "counts": np.empty(n, dtype="int64")}  # fmt: skip
    for bw in bws:
        A = np.empty((n, n))
        space.run(gk.smoother_dense, x, space.order, space.dist, float(bw), not fixed, space.kernel, A)
        out = np.empty((n, n))
        ge.lowrank_times(space, x, float(bw), M, out, work)
        np.testing.assert_allclose(out, A @ M, rtol=0, atol=1e-12 * np.abs(A @ M).max())
    assert ge.product_kind(space, n if not fixed else 1000.0) == "lowrank"
    assert ge.product_kind(ge.Space(coords, spherical=True, threads=1), n) == "dense"


@pytest.mark.parametrize("fixed, bws", [(False, [2, 7, 30, 90]), (True, [20.0, 60.0, 150.0])])
def test_the_row_block_smoother_product_equals_the_dense_one(fixed, bws):
    """A bisquare smoother as dense row blocks over each block's neighbours, times a matrix,
    equals the dense product (to rounding), from a handful of neighbours to most units."""
    from carbonbalance.econometrics import gwr_engine as ge
    from carbonbalance.econometrics import gwr_kernels as gk

    rng = np.random.default_rng(9)
    n = 300
    coords = rng.uniform(0, 300, size=(n, 2))
    space = ge.Space(coords, kernel="bisquare", fixed=fixed, threads=2)
    x, M = rng.normal(size=n) + 2.0, rng.normal(size=(n, n))
    order = space.spatial_order()
    assert sorted(order.tolist()) == list(range(n))
    for bw in bws:
        A = np.empty((n, n))
        space.run(gk.smoother_dense, x, space.order, space.dist, float(bw), not fixed, space.kernel, A)
        blocks = ge.SmootherBlocks(space, x, float(bw))
        assert 0 < blocks.volume <= 1
        out = np.full((n, n), np.nan)
        blocks.times(M, out)
        np.testing.assert_allclose(out, A @ M, rtol=0, atol=1e-12 * np.abs(A @ M).max())
    assert ge.product_kind(space, bws[0]) == "blocks"  # few neighbours: blocks beat a dense product


@pytest.mark.parametrize("fixed, bws", [(False, [120, 116, 113]), (True, [2000.0, 420.0])])
def test_low_rank_single_covariate_fits_equal_the_direct_ones(fixed, bws):
    """Near-global single-covariate fits through the 4 x 4 moments minus the neighbours
    beyond the bandwidth give the direct fits' coefficients, fitted values and influence
    (to rounding), so the bandwidth searches score the same."""
    from carbonbalance.econometrics import gwr_engine as ge
    from carbonbalance.econometrics import gwr_kernels as gk

    rng = np.random.default_rng(10)
    n = 120
    coords = rng.uniform(0, 300, size=(n, 2)) + [5.0e3, 3.0e3]
    space = ge.Space(coords, kernel="bisquare", fixed=fixed, threads=2)
    x, y = rng.normal(size=n) + 2.0, rng.normal(size=n)
    for bw in bws:
        assert space.lowrank_fits(bw)
        ours = space.fit(y, x[:, None], bw)
        direct = [np.empty((n, 1)), np.empty(n), np.empty(n)]
        space.run(gk.local_fits, y, x[:, None], space.order, space.dist, float(bw), not fixed, space.kernel, *direct)
        for a, b in zip(ours, direct):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    assert not space.lowrank_fits(60 if not fixed else 100.0)
