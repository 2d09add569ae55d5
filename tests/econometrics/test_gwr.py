"""MGWR: bandwidths that separate a constant from a varying coefficient; errors."""

import geopandas as gpd
import numpy as np
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
