"""Carbon compensation (Jiangxi2024): every step by hand, per-region aggregates, payer split."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance.errors import ConfigError, InputError


def _two_regions():
    t0 = pd.DataFrame({"ce_tco2": [100.0, 200, 50, 150], "gdp_1e4yuan": [10.0, 20, 10, 10]}, index=list("abcd"))
    t1 = pd.DataFrame(
        {
            "ce_tco2": [110.0, 180, 60, 150],
            "gdp_1e4yuan": [11.0, 24, 10, 15],
            "ca_tco2": [10.0, 20, 70, 0],
            "ecc": [0.5, 1.2, 1.0, 0.8],
            "engel_coefficient": [0.3, 0.3, 0.4, 0.35],
        },
        index=list("abcd"),
    )
    t0.index.name = t1.index.name = "unit_id"
    return t0, t1, pd.Series(["P", "P", "Q", "Q"], index=list("abcd"))


def test_compensation_on_four_units_by_hand():
    from carbonbalance.budget.compensation import compensation
    from carbonbalance.budget.params import CompensationParams

    t0 = pd.DataFrame({"ce_tco2": [100.0, 200, 50, 150], "gdp_1e4yuan": [10.0, 20, 10, 10]}, index=list("abcd"))
    t1 = pd.DataFrame(
        {
            "ce_tco2": [110.0, 180, 60, 150],
            "gdp_1e4yuan": [11.0, 24, 10, 15],
            "ca_tco2": [10.0, 20, 70, 0],
            "ecc": [0.5, 1.2, 1.0, 0.8],
            "engel_coefficient": [0.3, 0.3, 0.4, 0.35],
        },
        index=list("abcd"),
    )
    t1.index.name = "unit_id"
    p = CompensationParams.from_config(
        {"price_min_yuan_per_t": 20, "price_max_yuan_per_t": 80, "exchange_rate_yuan_per_usd": 7.0, "gdp_pc_ratio": 1.2}
    )
    assert p.alpha == 82.5  # 1/4 (80 + 20 + 70 + 105) x 1.2
    out = compensation(t0, t1.rename(columns={"ce_tco2": "ce_tco2"}), p, 100.0).set_index("unit_id")
    np.testing.assert_allclose(out["l_tco2"], [100, 160, -10, 150])
    np.testing.assert_allclose(out["p_tco2"], [50, 120, 100, 80])
    # g0 = 10, 10, 5, 15; g1 = 10, 7.5, 6, 10; regional g 10 -> 500/60
    np.testing.assert_allclose(out["temporal_factor"], [1.2, 0.9, 1.44, 0.8], rtol=1e-12)
    np.testing.assert_allclose(out["spatial_factor"], np.array([10, 7.5, 6, 10]) / 8.375, rtol=1e-12)
    c_rev = np.array([110 * 1.2 * 10, 180 * 0.9 * 7.5, 60 * 1.44 * 6, 150 * 0.8 * 10]) / 8.375
    np.testing.assert_allclose(out["c_revised_tco2"], c_rev, rtol=1e-12)
    l_rev = c_rev - np.array([10, 20, 70, 0]) - np.array([50, 120, 100, 80])
    np.testing.assert_allclose(out["l_revised_tco2"], l_rev, rtol=1e-12)
    gamma = np.array([11, 24, 10, 15]) / 60 / (1 + np.exp(-np.array([0.3, 0.3, 0.4, 0.35])))
    np.testing.assert_allclose(out["gamma"], gamma, rtol=1e-12)
    np.testing.assert_allclose(out["m_1e4yuan"], l_rev * 82.5 * gamma / 1e4, rtol=1e-12)
    # payers a, b, d: break at their median M (d); c receives
    assert out["class"].tolist() == ["high payer", "low payer", "receiver", "low payer"]
    v = compensation(
        t0,
        t1,
        CompensationParams.from_config(
            {
                "threshold": "ecc_minus_one",
                "intensity": "temporal",
                "revised_base": "without_absorption",
                "engel": "inverse",
            }
        ),
        100.0,
    ).set_index("unit_id")
    np.testing.assert_allclose(v["p_tco2"], [-50, 20, 0, -20])
    np.testing.assert_allclose(
        v["l_revised_tco2"],
        np.array([110 * 1.2, 180 * 0.9, 60 * 1.44, 150 * 0.8]) - np.array([-50, 20, 0, -20]),
        rtol=1e-12,
    )
    en = np.array([0.3, 0.3, 0.4, 0.35])
    np.testing.assert_allclose(v["gamma"], np.array([11, 24, 10, 15]) / 60 / (1 + np.exp(-(1 / en - 3))))
    # a unit without a value a step needs gets no compensation, with the reason; the others are unchanged
    gap = compensation(t0, t1.assign(engel_coefficient=[0.3, np.nan, 0.4, 0.35]), p, 100.0).set_index("unit_id")
    assert gap.loc["b", "class"] == "not computed" and gap.loc["b", "reason"] == "Engel coefficient missing"
    assert np.isnan(gap.loc["b", "m_1e4yuan"])
    with pytest.raises(InputError, match="no column 'ecc' for the end year"):
        compensation(t0, t1.drop(columns="ecc"), p, 100.0)
    with pytest.raises(ConfigError, match="tables.compensation.intensity"):
        CompensationParams.from_config({"intensity": "spatial"})


def test_compensation_per_parent_region_equals_each_region_alone():
    """With reference: parent, g_R, K, mean g and D are per parent: the whole level computed
    with regions equals each region computed on its own."""
    from carbonbalance.budget.compensation import compensation
    from carbonbalance.budget.params import CompensationParams

    t0, t1, region = _two_regions()
    p = CompensationParams.from_config({"high_payer_break": 1e9})  # all payers low: the class does not pool
    d = pd.Series({"P": 150.0, "Q": 90.0})
    both = compensation(t0, t1, p, region.map(d), region=region).set_index("unit_id")
    for r, units in (("P", ["a", "b"]), ("Q", ["c", "d"])):
        alone = compensation(t0.loc[units], t1.loc[units], p, d[r]).set_index("unit_id")
        cols = [c for c in alone.columns if c not in ("region",)]
        pd.testing.assert_frame_equal(both.loc[units, cols], alone[cols], check_exact=False, rtol=1e-12)
    assert both.loc["a", "k"] == pytest.approx(11 / 35) and both.loc["c", "k"] == pytest.approx(10 / 25)
    assert both.loc["a", "p_tco2"] == pytest.approx(0.5 * 150.0)


def test_payer_break_median_mean_or_number():
    from carbonbalance.budget.compensation import compensation
    from carbonbalance.budget.params import CompensationParams

    t0, t1, _ = _two_regions()
    m = compensation(t0, t1, CompensationParams(), 100.0).set_index("unit_id")["m_1e4yuan"]
    payers = m[m > 0]
    for brk, value in (("median", payers.median()), ("mean", payers.mean()), (0.5, 0.5)):
        c = compensation(t0, t1, CompensationParams.from_config({"high_payer_break": brk}), 100.0)
        c = c.set_index("unit_id")
        assert c["high_payer_break_1e4yuan"].iloc[0] == pytest.approx(value)
        want = np.where(m <= 0, "receiver", np.where(m > value, "high payer", "low payer"))
        assert c["class"].tolist() == want.tolist()
    with pytest.raises(ConfigError, match="high_payer_break"):
        CompensationParams.from_config({"high_payer_break": "mode"})
