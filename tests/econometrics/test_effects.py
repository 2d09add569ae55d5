"""LeSage-Pace effects: closed form for the SLM, non-row-standardised W."""

import numpy as np
import pandas as pd
import pytest
from panels import assert_effects_at_estimates, simulate

from carbonbalance import econometrics as em
from carbonbalance import spatial
from carbonbalance.errors import ConfigError


def test_slm_effects_equal_the_closed_form(demo_counties):
    gdf, W, wdf = demo_counties
    df = simulate(W, 8, np.array([2.0, -1.0]), np.zeros(2), 0.5, seed=4)
    r = em.spatial_panel(df, "y", ["x1", "x2"], wdf, "unit", "year", model="slm", effects="twoways", draws=500)
    rho = r.params["rho"]
    n = W.shape[0]
    inv = np.linalg.inv(np.eye(n) - rho * W)
    eff = r.effects.set_index("covariate")
    for name in ("x1", "x2"):
        b = r.params[name]
        assert eff.loc[name, "direct"] == pytest.approx(b * np.trace(inv) / n, rel=1e-10)
        assert eff.loc[name, "total"] == pytest.approx(b / (1 - rho), rel=1e-10)
        assert eff.loc[name, "indirect"] == pytest.approx(b / (1 - rho) - b * np.trace(inv) / n, rel=1e-10)
        assert eff.loc[name, "direct_se"] > 0
    assert r.wald_tests.empty


def test_effects_with_a_non_row_standardised_w(demo_counties):
    """Inverse squared distance, not row-standardised: totals from the eigendecomposition."""
    gdf, W, _ = demo_counties
    w = spatial.weights(gdf, kind="inverse_distance", power=2, transform=None)
    dense = w.full()[0] / np.abs(np.linalg.eigvals(w.full()[0])).max()  # spectral normalisation
    ids = [str(i) for i in range(len(gdf))]
    df = simulate(dense, 6, np.array([1.0, 0.5]), np.array([0.2, -0.1]), 0.3, seed=8)
    r = em.spatial_panel(
        df,
        "y",
        ["x1", "x2"],
        pd.DataFrame(dense, index=ids, columns=ids),
        "unit",
        "year",
        model="sdm",
        effects="unit",
        draws=100,
    )
    assert_effects_at_estimates(r, dense)
    with pytest.raises(ConfigError, match="row-standardised"):
        em.spatial_panel(
            df,
            "y",
            ["x1", "x2"],
            pd.DataFrame(dense, index=ids, columns=ids),
            "unit",
            "year",
            model="slm",
            effects="twoways",
            lee_yu=True,
        )
