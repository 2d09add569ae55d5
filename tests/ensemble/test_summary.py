"""Intervals, zone stability and sensitivity of an ensemble's budget tables (SPEC §9)."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance.ensemble.summary import intervals, sensitivity, spread, zone_stability


def long_table(values: dict, zones: dict) -> pd.DataFrame:
    """Members' rows of units a, b in 2020: ``values[member] = (cs of a, cs of b)``."""
    rows = []
    for m, cs in values.items():
        for k, unit in enumerate("ab"):
            ce = 10.0
            rows.append({"member": m, "unit_id": unit, "name": unit.upper(), "year": 2020, "ce_tco2": ce,
                         "cs_tco2": cs[k], "cb_tco2": ce - cs[k], "cbi": ce / cs[k] if cs[k] > 0 else np.nan,
                         "ecc": 1.0, "esc": 1.0, "zone_fan2024": zones[m][k]})  # fmt: skip
    return pd.DataFrame(rows)


MEMBERS = {
    "baseline": {"kind": "baseline", "changed": []},
    "v": {"kind": "variant", "changed": ["casa.t_eps2_constant"]},
    "draw1": {"kind": "draw", "changed": ["casa.eps_max.ENF"]},
    "draw2": {"kind": "draw", "changed": ["casa.eps_max.ENF"]},
    "oat_x_low": {"kind": "oat", "switch": "x", "changed": ["x"]},
    "oat_x_high": {"kind": "oat", "switch": "x", "changed": ["x"]},
}


def test_intervals_are_percentiles_over_the_members_with_a_value():
    t = long_table(
        {"baseline": (5.0, 20.0), "v": (4.0, 0.0), "draw1": (6.0, 21.0), "draw2": (7.0, 19.0)},
        {m: ("sink", "sink") for m in ("baseline", "v", "draw1", "draw2")},
    )
    out = intervals(t, (5, 95)).set_index("unit_id")
    a = out.loc["a"]
    assert a["cs_tco2_baseline"] == 5.0 and a["cs_tco2_median"] == 5.5
    assert a["cs_tco2_p5"] == pytest.approx(np.percentile([4, 5, 6, 7], 5))
    assert a["cs_tco2_p95"] == pytest.approx(np.percentile([4, 5, 6, 7], 95))
    b = out.loc["b"]
    assert b["cbi_members"] == 3 and b["cs_tco2_members"] == 4  # CBI undefined where CS <= 0
    assert b["cbi_median"] == pytest.approx(10 / 20)
    assert a["name"] == "A"


def test_zone_stability_counts_members_in_the_baseline_zone():
    zones = {"baseline": ("sink", "source"), "v": ("sink", "sink"), "draw1": ("sink", "sink"),
             "draw2": ("sink", None)}  # fmt: skip
    t = long_table({m: (5.0, 5.0) for m in zones}, zones)
    out = zone_stability(t, ["fan2024"]).set_index("unit_id")
    assert out.loc["a", "agreement"] == 1.0 and out.loc["a", "zone_modal"] == "sink"
    assert out.loc["b", "agreement"] == 0.25 and out.loc["b", "zone_baseline"] == "source"
    assert out.loc["b", "zone_modal"] == "sink" and out.loc["b", "modal_share"] == 0.5
    assert (out["members"] == 4).all()


def test_a_tie_keeps_the_baseline_zone_as_the_most_frequent():
    zones = {"baseline": ("x", "x"), "v": ("y", "x")}
    out = zone_stability(long_table({m: (5.0, 5.0) for m in zones}, zones), ["fan2024"]).set_index("unit_id")
    assert out.loc["a", "zone_modal"] == "x" and out.loc["a", "agreement"] == 0.5


def test_sensitivity_ranks_the_switches_by_the_zones_they_change():
    zones = {"baseline": ("s", "s"), "v": ("t", "t"), "draw1": ("s", "t"), "draw2": ("s", "s"),
             "oat_x_low": ("s", "s"), "oat_x_high": ("t", "s")}  # fmt: skip
    t = long_table({m: (5.0, 5.0) for m in zones} | {"v": (10.0, 5.0)}, zones)
    out = sensitivity(t, MEMBERS, ["fan2024"]).set_index("switch")
    assert list(out.index) == ["v", "x", "all draws"]
    assert out.loc["v", "zones_changed"] == 2 and out.loc["v", "share_changed"] == 1.0
    assert out.loc["x", "zones_changed"] == 1  # the larger of its two ends
    assert out.loc["all draws", "zones_changed"] == 0.5  # mean per draw
    assert out.loc["v", "cs_tco2_change_pct"] == pytest.approx(50.0)  # median of 100 % and 0 %
    assert out.loc["v", "rank"] == 1


def test_spread_of_the_global_statistics():
    stats = pd.DataFrame({"member": ["baseline", "a", "b"], "variable": "ce_tco2", "year": 2020,
                          "moran_i": [0.3, 0.1, 0.5]})  # fmt: skip
    out = spread(stats).iloc[0]
    assert out["baseline"] == 0.3 and out["median"] == 0.3 and out["min"] == 0.1 and out["max"] == 0.5
    assert out["members"] == 3
