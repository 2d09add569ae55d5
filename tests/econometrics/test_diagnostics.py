"""LM tests against spreg; LM and Wald tests pick the true model."""

import libpysal
import numpy as np
import pandas as pd
import pytest

from carbonbalance import econometrics as em

spreg = pytest.importorskip("spreg")


def lattice(nrows=7, ncols=8):
    """A rook lattice with string ids '0'..'n-1' (row-standardised) and its spreg twin."""
    w = libpysal.weights.lat2W(nrows, ncols)
    w.transform = "r"
    ws = libpysal.weights.W(
        {str(k): [str(j) for j in v] for k, v in w.neighbors.items()},
        {str(k): list(v) for k, v in w.weights.items()},
        silence_warnings=True,
    )
    ws.transform = "r"
    return w, ws


def simulate(W, T, beta, theta, rho, seed, unit_fx=True, time_fx=True, lam=0.0):
    """A long panel from y_t = (I − ρW)⁻¹ (X_t β + W X_t θ + μ + λ_t + u_t), u_t = (I − λW)⁻¹ ε_t."""
    rng = np.random.default_rng(seed)
    N, k = W.shape[0], len(beta)
    mu = rng.normal(scale=2.0, size=N) if unit_fx else np.zeros(N)
    tau = rng.normal(scale=2.0, size=T) if time_fx else np.zeros(T)
    A = np.linalg.inv(np.eye(N) - rho * W)
    B = np.linalg.inv(np.eye(N) - lam * W)
    xs, ys = [], []
    for t in range(T):
        # covariates correlated with the unit effects, as in real panels
        X = rng.normal(size=(N, k)) + 0.5 * mu[:, None]
        xs.append(X)
        ys.append(A @ (X @ beta + W @ X @ theta + mu + tau[t] + B @ rng.normal(size=N)))
    X = np.vstack(xs)
    df = pd.DataFrame(
        {
            "unit": np.tile([str(i) for i in range(N)], T),
            "year": np.repeat(2000 + np.arange(T), N),
            "y": np.concatenate(ys),
        }
    )
    for j in range(k):
        df[f"x{j + 1}"] = X[:, j]
    return df


@pytest.fixture(scope="module")
def lattice_panel():
    w, ws = lattice()
    df = simulate(w.full()[0], 6, np.array([1.0, -0.5]), np.array([0.3, 0.2]), 0.4, seed=1, time_fx=False)
    return w, ws, df


def _spreg_arrays(df):
    df = df.assign(u=df["unit"].astype(int)).sort_values(["year", "u"])
    return df[["y"]].to_numpy(), df[["x1", "x2"]].to_numpy()


def test_lm_tests_equal_spreg_on_the_pooled_panel(lattice_panel):
    """Without effects, the panel LM tests are the cross-section ones with W_NT = I_T ⊗ W."""
    w, ws, df = lattice_panel
    r = em.spatial_panel(df, "y", ["x1", "x2"], ws, "unit", "year", model="ols", effects="none")
    y, X = _spreg_arrays(df)
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
