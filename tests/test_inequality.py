"""Dagum Gini decomposition and kernel density (SPEC §7)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.errors import InputError
from carbonbalance.inequality import dagum_gini, kernel_density, silverman_bandwidth


def test_dagum_two_groups_by_hand():
    # A = [1, 3], B = [2, 6]; n = 4, mean 3
    r = dagum_gini([1, 3, 2, 6], ["A", "A", "B", "B"])
    assert r.total == pytest.approx(32 / 96, abs=1e-15)           # Σ|diffs| 32 / (2·16·3)
    assert r.group_gini["A"] == pytest.approx(4 / 16) and r.group_gini["B"] == pytest.approx(8 / 32)
    assert r.pair_gini.loc["A", "B"] == pytest.approx(10 / 24)    # 10 / (2·2·(2 + 4))
    assert r.pair_D.loc["A", "B"] == pytest.approx(0.8)           # d = 9, p = 1
    assert r.within == pytest.approx(0.125)                       # 0.25·½·⅓ + 0.25·½·⅔
    assert r.between == pytest.approx(10 / 24 * 0.5 * 0.8)        # weight p_A s_B + p_B s_A = ½
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
    kd = kernel_density([0.0, 2.0], bandwidth=1.0, grid=[0.0, 0.5, 1.0, 3.5])
    # K(u) = 3/4 (1 - u²): at 0 -> (0.75 + 0) / 2; at 0.5 -> 0.75·0.75/2; at 1 -> 0; at 3.5 -> 0
    np.testing.assert_allclose(kd["density"], [0.375, 0.28125, 0.0, 0.0])
    rng = np.random.default_rng(2)
    y = rng.normal(10, 2, 500)
    kd = kernel_density(y)
    assert np.trapezoid(kd["density"], kd["x"]) == pytest.approx(1.0, abs=2e-3)
    assert kd.attrs["bandwidth"] == pytest.approx(silverman_bandwidth(y))
    h = 0.9 * min(y.std(ddof=1), np.subtract(*np.percentile(y, [75, 25])) / 1.34) * 500 ** -0.2
    assert silverman_bandwidth(y) == pytest.approx(h, rel=1e-12)
