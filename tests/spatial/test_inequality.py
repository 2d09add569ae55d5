"""Dagum Gini decomposition and kernel densities (SPEC §7)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.errors import InputError
from carbonbalance.spatial.inequality import (
    dagum_gini,
    kernel_density,
    silverman_bandwidth,
)


def test_dagum_two_groups_by_hand():
    # A = [1, 3], B = [2, 6]; n = 4, mean 3
    r = dagum_gini([1, 3, 2, 6], ["A", "A", "B", "B"])
    assert r.total == pytest.approx(32 / 96, abs=1e-15)  # Σ|diffs| 32 / (2·16·3)
    assert r.group_gini["A"] == pytest.approx(4 / 16) and r.group_gini["B"] == pytest.approx(8 / 32)
    assert r.pair_gini.loc["A", "B"] == pytest.approx(10 / 24)  # 10 / (2·2·(2 + 4))
    assert r.pair_D.loc["A", "B"] == pytest.approx(0.8)  # d = 9, p = 1
    assert r.within == pytest.approx(0.125)  # 0.25·½·⅓ + 0.25·½·⅔
    assert r.between == pytest.approx(10 / 24 * 0.5 * 0.8)  # weight p_A s_B + p_B s_A = ½
    assert r.transvariation == pytest.approx(10 / 24 * 0.5 * 0.2)
    assert sum(r.contributions.values()) == pytest.approx(100.0)
    assert r.contributions["within"] == pytest.approx(37.5)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 80), k=st.integers(1, 5))
def test_dagum_identity_and_total_equals_the_plain_gini(seed, n, k):
    from inequality.gini import Gini

    rng = np.random.default_rng(seed)
    y = rng.lognormal(0, 1, n)
    groups = rng.integers(0, k, n)
    r = dagum_gini(y, groups)
    assert r.within + r.between + r.transvariation == pytest.approx(r.total, abs=1e-12)
    assert r.total == pytest.approx(Gini(y).g, rel=1e-12)
    assert (r.pair_D.fillna(0).to_numpy() >= 0).all()


def test_dagum_errors():
    with pytest.raises(InputError, match="missing or infinite"):
        dagum_gini([1.0, np.nan], [0, 1])


def test_kernel_density_epanechnikov_by_hand():
    # default: unit-variance kernel K(u) = 3/(4√5)(1 − u²/5) on |u| < √5 (Stata's kdensity)
    kd = kernel_density([0.0, 2.0], bandwidth=1.0, grid=[0.0, 1.0, 2.5, 4.3])
    c = 0.75 / np.sqrt(5)
    k = lambda u: c * (1 - u * u / 5) if abs(u) < np.sqrt(5) else 0.0
    np.testing.assert_allclose(
        kd["density"], [(k(0) + k(2)) / 2, (k(1) + k(1)) / 2, (k(2.5) + k(0.5)) / 2, (k(4.3) + k(2.3)) / 2], rtol=1e-15
    )
    assert kd.attrs["scale"] == "unit_variance" and kd.attrs["bandwidth"] == 1.0
    # the [-1, 1] kernel stays a switch: K(u) = 3/4 (1 - u²)
    kd = kernel_density([0.0, 2.0], bandwidth=1.0, grid=[0.0, 0.5, 1.0, 3.5], scale="unit_support")
    np.testing.assert_allclose(kd["density"], [0.375, 0.28125, 0.0, 0.0])
    rng = np.random.default_rng(2)
    y = rng.normal(10, 2, 500)
    for scale in ("unit_variance", "unit_support"):
        kd = kernel_density(y, scale=scale)
        assert np.trapezoid(kd["density"], kd["x"]) == pytest.approx(1.0, abs=2e-3)
    assert kd.attrs["bandwidth"] == pytest.approx(silverman_bandwidth(y))
    # Stata's rule: 0.9 min(sd, IQR/1.349) n^(-1/5)
    h = 0.9 * min(y.std(ddof=1), np.subtract(*np.percentile(y, [75, 25])) / 1.349) * 500**-0.2
    assert silverman_bandwidth(y) == pytest.approx(h, rel=1e-12)


def test_unit_variance_kernel_smooths_like_the_gaussian_and_sqrt5_more_than_unit_support():
    """At one bandwidth the unit-variance Epanechnikov has the Gaussian's spread; the [-1, 1]
    kernel needs √5 times the bandwidth to give the same curve."""
    y = np.random.default_rng(4).gamma(2.0, 3.0, 60)
    grid = np.linspace(-5, 40, 300)
    a = kernel_density(y, bandwidth=2.0, grid=grid)["density"].to_numpy()
    b = kernel_density(y, bandwidth=2.0 * np.sqrt(5), grid=grid, scale="unit_support")["density"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_gaussian_kernel_equals_scipy_gaussian_kde_with_the_same_bandwidth():
    from scipy.stats import gaussian_kde

    y = np.random.default_rng(9).lognormal(1.0, 0.6, 80)
    h = silverman_bandwidth(y)
    grid = np.linspace(-2, 15, 200)
    ours = kernel_density(y, kernel="gaussian", grid=grid)
    ref = gaussian_kde(y, bw_method=h / y.std(ddof=1))(grid)
    np.testing.assert_allclose(ours["density"], ref, rtol=1e-10)
    assert ours.attrs["bandwidth"] == pytest.approx(h, rel=1e-15)


def test_reflection_at_a_lower_bound_keeps_the_mass_above_it():
    """CII-like values near 0: without reflection the curve runs below 0; with the bound it
    starts at 0, integrates to 1 and, by hand, doubles the kernel mirrored at L."""
    y = np.array([0.2, 0.5, 1.0, 1.5, 3.0, 6.0])
    free = kernel_density(y, bandwidth=1.0)
    assert free["x"].min() < 0 and free.loc[free["x"] < 0, "density"].max() > 0.01
    kd = kernel_density(y, bandwidth=1.0, lower=0.0, n_points=4001)
    assert kd["x"].min() == 0.0 and (kd["density"] >= 0).all()
    assert np.trapezoid(kd["density"], kd["x"]) == pytest.approx(1.0, abs=1e-4)
    one = kernel_density([0.5], bandwidth=1.0, lower=0.0, grid=[-0.1, 0.0, 0.3])
    c = 0.75 / np.sqrt(5)
    k = lambda u: c * (1 - u * u / 5)
    np.testing.assert_allclose(one["density"], [0.0, 2 * k(0.5), k(0.2) + k(0.8)], rtol=1e-15)
    with pytest.raises(InputError, match=r"1 value\(s\) below the declared lower bound 0"):
        kernel_density([-1.0, 2.0, 3.0], lower=0.0)


def test_unit_tables_give_the_gini_within_each_group_by_hand(lattice):
    """The ``dagum_groups`` table: per group and year its units and G_jj, the plain Gini of
    the group's values (mean absolute difference over twice the mean)."""
    import pandas as pd

    from carbonbalance.spatial.params import SpatialParams
    from carbonbalance.spatial.stage import unit_tables

    gdf, y = lattice
    gdf = gdf.assign(unit_id=[f"u{i}" for i in range(len(gdf))], province=["A"] * 12 + ["B"] * 19)
    frames = [pd.DataFrame({"unit_id": gdf["unit_id"], "year": yr, "ce_tco2": y * (yr - 2018)}) for yr in (2019, 2020)]
    budget = pd.concat(frames)
    params = SpatialParams.from_config({"variables": ["ce_tco2"], "permutations": 9})
    table = unit_tables(gdf, budget, params, "province")["dagum_groups"]
    assert len(table) == 4 and set(table["group"]) == {"A", "B"}
    for (_year, group), row in table.set_index(["year", "group"]).iterrows():
        v = y[:12] if group == "A" else y[12:]
        hand = np.abs(v[:, None] - v[None, :]).mean() / (2 * v.mean())
        assert row["units"] == v.size
        assert row["gini_within_group"] == pytest.approx(hand, rel=1e-12)  # scale-free: 2020 = 2019
