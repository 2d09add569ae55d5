"""Zoning schemes as data: the presets by hand, ties on the greater side, custom schemes."""

import pandas as pd
import pytest

from carbonbalance.budget.zoning import (
    PRESETS,
    UNCLASSIFIED,
    classify,
    schemes_from_config,
)
from carbonbalance.errors import ConfigError


def zone_table(**cols):
    n = len(next(iter(cols.values())))
    base = {"unit_id": [f"u{i}" for i in range(n)], "year": [2020] * n}
    names = {
        "ce": "ce_tco2",
        "cs": "cs_tco2",
        "ecc": "ecc",
        "esc": "esc",
        "cbi": "cbi",
        "ce_mean": "ce_mean_region_tco2",
    }
    return pd.DataFrame(base | {names[k]: v for k, v in cols.items()})


def test_fan2024_zones_and_ties_on_the_greater_side():
    t = zone_table(
        ce=[1, 2, 2, 2, 2, 1, 1, 2],
        cs=[2, 1, 1, 1, 1, 1, 2, 1],
        esc=[1.5, 1.2, 1.2, 0.5, 0.5, 1.0, 0.9, 1.0],
        ecc=[0.1, 1.2, 0.8, 1.2, 0.8, 5, 1, 1.0],
    )
    z = classify(t, "fan2024", PRESETS["fan2024"]).tolist()
    assert z == [
        "carbon sink functional",
        "low-carbon economic",
        "low-carbon optimisation",
        "carbon intensity control",
        "high-carbon optimisation",
        "carbon sink functional",  # CS = CE and ESC = 1: both ties to the >= side
        UNCLASSIFIED,  # CS > CE but ESC < 1: no zone of the scheme
        "low-carbon economic",
    ]  # ESC = ECC = 1 exactly


def test_peng2023_zones_with_q_at_one():
    t = zone_table(
        ce=[1, 2, 2, 2, 2, 2], cs=[1, 1, 1, 1, 1, 0], ecc=[3, 1.0, 0.5, 0.5, 1.0, 1.0], esc=[3, 0.5, 0.5, 1.0, 1.0, 0.2]
    )
    z = classify(t, "peng2023", PRESETS["peng2023"]).tolist()
    assert z == [
        "carbon sink",
        "high-carbon control",
        "high-carbon optimisation",
        "low-carbon development",
        "low-carbon economic",
        "high-carbon control",
    ]  # Q = 1 is a sink; CS = 0 is Q > 1


def test_jiangxi2024_zones_in_order():
    t = zone_table(
        ce=[5, 9, 9, 3, 3, 5],
        cs=[1] * 6,
        ce_mean=[6] * 6,
        esc=[1.8, 0.5, 0.5, 0.5, 1.2, 0.99],
        ecc=[0.1, 1.0, 1.0, 1.5, 1.2, 1.0],
    )
    t.loc[2, "ce_tco2"] = 6  # CE exactly at the mean -> the >= side
    z = classify(t, "jiangxi2024", PRESETS["jiangxi2024"]).tolist()
    assert z == [
        "carbon sink functional",
        "total carbon control",
        "total carbon control",
        "low-carbon optimisation",
        "low-carbon optimisation",
        "low-carbon optimisation",
    ]
    t2 = zone_table(ce=[5.0], cs=[1.0], ce_mean=[6.0], esc=[1.0], ecc=[0.7])
    assert classify(t2, "jiangxi2024", PRESETS["jiangxi2024"]).tolist() == ["carbon intensity control"]


def test_custom_scheme_and_unknown_quantity():
    custom = {"simple": [{"zone": "sink", "when": [["cb", "<", 0]]}, {"zone": "source", "when": []}]}
    schemes = schemes_from_config(["simple", "fan2024"], custom)
    t = zone_table(ce=[1.0, 3.0], cs=[2.0, 1.0], ecc=[1, 1], esc=[1, 1]).assign(cb_tco2=[-1.0, 2.0])
    assert classify(t, "simple", schemes["simple"]).tolist() == ["sink", "source"]
    with pytest.raises(ConfigError, match=r"zoning scheme 'bad', zone 'x': unknown quantity 'gdp'"):
        schemes_from_config(["bad"], {"bad": [{"zone": "x", "when": [["gdp", ">", 1]]}]})
    with pytest.raises(ConfigError, match="neither a preset"):
        schemes_from_config(["nope"])
