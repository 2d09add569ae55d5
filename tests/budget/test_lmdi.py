"""Additive LMDI-I of Q = CE/CS: hand values, exact sums (property test), zero values."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.budget.lmdi import EFFECTS, decompose, lmdi_table, log_mean


def test_log_mean():
    assert log_mean(2.0, 2.0) == 2.0
    assert log_mean(np.e, 1.0) == pytest.approx(np.e - 1.0, rel=1e-15)


def test_lmdi_by_hand():
    # C doubles, everything else fixed: all change is technology (C/G)
    d = decompose(10, 5, 2, 4, 20, 20, 5, 2, 4, 20).iloc[0]
    assert d["q0"] == 0.5 and d["qT"] == 1.0 and d["technology_effect"] == pytest.approx(0.5, rel=1e-14)
    assert d[["economic_level_effect", "urbanisation_effect", "fixation_pressure_effect"]].abs().max() < 1e-15


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(1e-3, 1e6), min_size=10, max_size=10))
def test_lmdi_effects_sum_to_the_change(v):
    d = decompose(*v).iloc[0]
    total = sum(d[f"{e}_effect"] for e in EFFECTS)
    assert d["reason"] == ""
    assert abs(total - d["dq"]) <= 1e-10 * max(abs(d["dq"]), abs(d["q0"]), abs(d["qT"]))


def test_lmdi_zero_values_and_undecomposable_units():
    d = decompose(
        [0, 10, 0, 5, 5],
        [5] * 5,
        [2] * 5,
        [4] * 5,
        [20, 20, 20, 0, 20],
        [10, 0, 0, 5, 5],
        [5] * 5,
        [2] * 5,
        [4] * 5,
        [20, 20, 20, 20, -1],
    )
    assert d.loc[0, "technology_effect"] == pytest.approx(0.5) and d.loc[0, "dq"] == pytest.approx(0.5)
    assert d.loc[1, "technology_effect"] == pytest.approx(-0.5)
    assert (d.loc[2, [f"{e}_effect" for e in EFFECTS]] == 0).all() and d.loc[2, "dq"] == 0
    for k in range(3):
        assert d.loc[k, [f"{e}_effect" for e in EFFECTS]].sum() == pytest.approx(d.loc[k, "dq"], abs=1e-15)
        assert d.loc[k, "reason"] == ""
    assert d.loc[3, "reason"] == "year 0: sequestration N <= 0 or missing" and np.isnan(d.loc[3, "dq"])
    assert d.loc[4, "reason"] == "year T: sequestration N <= 0 or missing"


def test_lmdi_table_per_unit_and_region():
    panel = pd.DataFrame(
        {
            "unit_id": ["a", "b"] * 2,
            "year": [2019, 2019, 2021, 2021],
            "c": [10.0, 20, 12, 18],
            "g": [5.0, 8, 6, 9],
            "p": [2.0, 3, 2, 3],
            "s": [4.0, 6, 4, 6],
            "n": [20.0, 10, 18, 11],
        }
    )
    t = lmdi_table(panel, [(2019, 2021)])
    assert t["unit_id"].tolist() == ["a", "b", "region"]
    reg = t.set_index("unit_id").loc["region"]
    assert reg["q0"] == pytest.approx(30 / 30) and reg["qT"] == pytest.approx(30 / 29)
    sums = t[[f"{e}_effect" for e in EFFECTS]].sum(axis=1)
    np.testing.assert_allclose(sums, t["dq"], rtol=1e-10)
