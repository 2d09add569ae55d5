"""LM tests against spreg; LM and Wald tests pick the true model."""

import libpysal
import numpy as np
import pytest
from panels import simulate, spreg_arrays

from carbonbalance import econometrics as em

spreg = pytest.importorskip("spreg")


def test_lm_tests_equal_spreg_on_the_pooled_panel(lattice_panel):
    """Without effects, the panel LM tests are the cross-section ones with W_NT = I_T ⊗ W."""
    w, ws, df = lattice_panel
    r = em.spatial_panel(df, "y", ["x1", "x2"], ws, "unit", "year", model="ols", effects="none")
    y, X = spreg_arrays(df)
    T = len(df["year"].unique())
    # I_T ⊗ W as a libpysal W
    neighbors, weights = {}, {}
    for t in range(T):
        for i in range(w.n):
            neighbors[t * w.n + i] = [t * w.n + j for j in w.neighbors[i]]
            weights[t * w.n + i] = list(w.weights[i])
    big = libpysal.weights.W(neighbors, weights, silence_warnings=True)
    ref = spreg.OLS(y, X, w=big, spat_diag=True)
    lm = r.lm_tests.set_index("test")["statistic"]
    assert lm["LM lag"] == pytest.approx(ref.lm_lag[0], rel=1e-8)
    assert lm["LM error"] == pytest.approx(ref.lm_error[0], rel=1e-8)
    assert lm["robust LM lag"] == pytest.approx(ref.rlm_lag[0], rel=1e-8)
    assert lm["robust LM error"] == pytest.approx(ref.rlm_error[0], rel=1e-8)
    # and the OLS itself
    np.testing.assert_allclose(r.coefficients["estimate"], ref.betas.ravel(), rtol=1e-10)


def test_lm_and_wald_tests_pick_the_true_model(lattice_panel):
    w, ws, _ = lattice_panel
    W = w.full()[0]
    lag = simulate(W, 10, np.array([1.0, -0.5]), np.zeros(2), 0.6, seed=21)
    err = simulate(W, 10, np.array([1.0, -0.5]), np.zeros(2), 0.0, seed=22, lam=0.6)
    lm_lag = em.spatial_panel(lag, "y", ["x1", "x2"], ws, "unit", "year", model="ols").lm_tests.set_index("test")
    lm_err = em.spatial_panel(err, "y", ["x1", "x2"], ws, "unit", "year", model="ols").lm_tests.set_index("test")
    assert lm_lag.loc["robust LM lag", "p_value"] < 0.001 < lm_lag.loc["robust LM error", "p_value"]
    assert lm_err.loc["robust LM error", "p_value"] < 0.001 < lm_err.loc["robust LM lag", "p_value"]
    sdm_on_lag = em.spatial_panel(lag, "y", ["x1", "x2"], ws, "unit", "year", model="sdm", draws=50)
    wald = sdm_on_lag.wald_tests.set_index("test")["p_value"]
    assert wald.iloc[0] > 0.01  # θ = 0 holds
    assert wald.iloc[1] < 0.001  # θ + ρβ = 0 does not
