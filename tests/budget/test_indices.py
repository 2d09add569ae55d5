"""Budget and balance indices (SPEC §6) by hand, and one unit never stopping them."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance.budget.indices import balance_indices


def table(ce, cs, gdp, parent=None):
    n = len(ce)
    df = pd.DataFrame(
        {"unit_id": [f"u{i}" for i in range(n)], "year": 2020, "ce_tco2": ce, "cs_tco2": cs, "gdp_1e4yuan": gdp}
    )
    if parent is not None:
        df["province_id"] = parent
    return df


def test_indices_by_hand():
    # R: CE 100, CS 50, G 1000
    t = balance_indices(table([60.0, 40.0], [20.0, 30.0], [500.0, 500.0]))
    np.testing.assert_allclose(t["cb_tco2"], [40, 10])
    np.testing.assert_allclose(t["cbi"], [3.0, 40 / 30])
    np.testing.assert_allclose(t["cii_tco2"], [40, 10])
    np.testing.assert_allclose(t["ecc"], [0.5 / 0.6, 0.5 / 0.4])
    np.testing.assert_allclose(t["esc"], [0.4 / 0.6, 0.6 / 0.4])
    np.testing.assert_allclose(t["ce_mean_region_tco2"], [50, 50])
    assert (t["note"] == "").all()


def test_cbi_missing_with_a_note_when_cs_not_positive_and_parent_reference():
    t = balance_indices(
        table([10.0, 30.0, 5.0, 5.0], [0.0, -2.0, 5.0, 15.0], [1.0, 3.0, 2.0, 2.0], parent=["A", "A", "B", "B"]),
        reference="province_id",
    )
    assert np.isnan(t["cbi"][0]) and np.isnan(t["cbi"][1]) and t["cbi"][2] == 1.0
    assert t["note"][0] == "CBI undefined: CS <= 0; ESC undefined: regional CS <= 0"
    assert t["note"][2] == "" and not np.isinf(t["cbi"]).any()
    # region A: CS_R = -2 <= 0 -> ESC undefined too; region B by hand
    assert np.isnan(t["esc"][0]) and "ESC undefined" in t["note"][1]
    np.testing.assert_allclose(t.loc[2:, "ecc"], [0.5 / 0.5, 0.5 / 0.5])
    np.testing.assert_allclose(t.loc[2:, "esc"], [(5 / 20) / 0.5, (15 / 20) / 0.5])


def test_one_unit_without_ce_or_gdp_never_stops_the_indices():
    """CE missing or <= 0: the row stays, CBI/ECC/ESC missing with the reason; the region
    totals use the units whose CE is known; a missing GDP leaves only ECC missing."""
    t = balance_indices(table([60.0, np.nan, 0.0, 40.0], [20.0, 5.0, 2.0, 30.0], [500.0, 300.0, 100.0, 400.0]))
    assert t["note"][1] == "CE missing: CBI, ECC and ESC undefined"
    assert t["note"][2] == "CE <= 0: CBI, ECC and ESC undefined"
    assert t[["cbi", "ecc", "esc"]].iloc[1:3].isna().all().all()
    # R = units 0, 2, 3 (CE known): CE 100, CS 52, G 1000
    np.testing.assert_allclose(t.loc[[0, 3], "ecc"], [0.5 / 0.6, 0.4 / 0.4])
    np.testing.assert_allclose(t.loc[[0, 3], "esc"], [(20 / 52) / 0.6, (30 / 52) / 0.4])
    np.testing.assert_allclose(t["ce_mean_region_tco2"], 100 / 3)
    assert t.attrs["excluded"] == {"ce_missing": 1, "ce_not_positive": 1, "gdp_missing_or_negative": 0}
    g = balance_indices(table([1.0, 2.0], [1.0, 1.0], [1.0, np.nan]))
    assert np.isnan(g["ecc"][1]) and g["ecc"][0] == pytest.approx(1.0 / (1 / 3))  # G_R = 1 (the known GDP)
    assert g["note"][1] == "GDP missing or negative: ECC undefined" and np.isfinite(g["esc"][1])
