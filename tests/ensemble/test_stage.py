"""The ensemble summary's stage functions on a small map: each member's own weights, checked
against esda's Moran's I computed directly."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from esda.moran import Moran
from libpysal.weights import Queen, Rook
from shapely.geometry import box

from carbonbalance.ensemble import stage
from carbonbalance.ensemble.stage import global_spread, level_summary


def units_3x3() -> gpd.GeoDataFrame:
    """Nine unit squares, three groups (rows)."""
    cells = [(i, j) for j in range(3) for i in range(3)]
    return gpd.GeoDataFrame(
        {"unit_id": [f"u{j}{i}" for i, j in cells], "province_id": [f"p{j}" for _, j in cells]},
        geometry=[box(i, j, i + 1, j + 1) for i, j in cells],
    )


def members_long(units, values: dict) -> pd.DataFrame:
    rows = []
    for m, v in values.items():
        for uid, x in zip(units["unit_id"], v):
            rows.append({"member": m, "unit_id": uid, "year": 2020, "ce_tco2": 10.0 * x, "cs_tco2": 10.0,
                         "cb_tco2": 10.0 * x - 10.0, "cbi": x, "ecc": 1.0, "esc": 1.0,
                         "zone_fan2024": "a" if x > 1 else "b"})  # fmt: skip
    return pd.DataFrame(rows)


def test_global_spread_uses_each_members_weights_built_once_per_distinct_config(monkeypatch):
    units = units_3x3()
    rng = np.random.default_rng(3)
    values = {m: rng.uniform(0.5, 2.0, 9) for m in ("baseline", "d1", "d2", "rook")}
    analysis = {m: {"weights": {"kind": "queen", "islands": "nearest"}} for m in ("baseline", "d1", "d2")}
    analysis["rook"] = {"weights": {"kind": "rook", "islands": "nearest"}}
    calls = []
    real = stage.unit_weights
    monkeypatch.setattr(stage, "unit_weights", lambda gdf, params: calls.append(params.kind) or real(gdf, params))
    out = global_spread(members_long(units, values), units, {m: {} for m in values}, analysis, "province_id",
                        ["cbi"], (5, 95))  # fmt: skip
    assert sorted(calls) == ["queen", "rook"]  # one W per distinct weights config, shared by the members
    moran = out[out["statistic"] == "moran_i"].iloc[0]
    w = {kind: cls.from_dataframe(units, use_index=False) for kind, cls in (("queen", Queen), ("rook", Rook))}
    expected = np.array([Moran(values[m], w["rook" if m == "rook" else "queen"], permutations=0).I for m in values])
    assert moran["baseline"] == pytest.approx(expected[0], rel=1e-12)
    assert moran["min"] == pytest.approx(expected.min(), rel=1e-12)
    assert moran["max"] == pytest.approx(expected.max(), rel=1e-12)
    assert moran["median"] == pytest.approx(np.median(expected), rel=1e-12)
    assert moran["members"] == 4
    assert {"gini", "between_pct"} <= set(out["statistic"])  # the groups (rows) give the Dagum terms


def test_level_summary_gives_the_three_tables_of_a_level():
    units = units_3x3()
    values = {"baseline": np.linspace(0.5, 2.0, 9), "d1": np.linspace(0.6, 2.1, 9)}
    out = level_summary(members_long(units, values), {"baseline": {"kind": "baseline", "changed": []},
                        "d1": {"kind": "draw", "changed": ["casa.eps_max.ENF"]}}, ["fan2024"], (5, 95))  # fmt: skip
    assert set(out) == {"intervals", "stability", "sensitivity"}
    assert len(out["intervals"]) == 9 and len(out["stability"]) == 9
