"""Coarser levels are exact sums of the finest units."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance.zonal.levels import aggregate_levels


def test_levels_nest_exactly():
    rng = np.random.default_rng(1)
    units = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "p", "q"],
            "level": ["county"] * 3 + ["province"] * 2,
            "name": ["A", "B", "C", "P", "Q"],
            "province_id": ["p", "p", "q", None, None],
        }
    )
    finest = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"] * 2,
            "year": [2019] * 3 + [2020] * 3,
            "x_tco2": rng.random(6) * 1e6,
            "v_cellsum": rng.random(6),
            "v_n_cells": [1, 2, 0.0] * 2,
        }
    )
    out = aggregate_levels(
        finest,
        units,
        [("county", "county_id"), ("province", "province_id")],
        ["x_tco2", "v_cellsum", "v_n_cells"],
        {"v_mean": ("v_cellsum", "v_n_cells")},
    )
    assert set(out) == {"county", "province", "region"}
    p = out["province"].set_index(["unit_id", "year"])
    f = finest.set_index(["unit_id", "year"])
    assert p.loc[("p", 2019), "x_tco2"] == f.loc[("a", 2019), "x_tco2"] + f.loc[("b", 2019), "x_tco2"]
    assert np.isnan(out["county"].set_index(["unit_id", "year"]).loc[("c", 2020), "v_mean"])
    r = out["region"].set_index("year")
    assert r.loc[2020, "x_tco2"] == pytest.approx(finest[finest.year == 2020].x_tco2.sum(), rel=1e-15)
    assert "province_id" not in out["province"].columns and out["province"].loc[0, "name"] == "P"
