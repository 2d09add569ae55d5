"""Simulated spatial panels shared by the econometrics tests (importable: tests/ is on the path)."""

import libpysal
import numpy as np
import pandas as pd
import pytest


def string_ids(w):
    """The row-standardised twin of a libpysal W with string ids '0'..'n-1'."""
    ws = libpysal.weights.W(
        {str(k): [str(j) for j in v] for k, v in w.neighbors.items()},
        {str(k): list(v) for k, v in w.weights.items()},
        silence_warnings=True,
    )
    ws.transform = "r"
    return ws


def lattice(nrows=7, ncols=8):
    """A rook lattice (row-standardised) and its twin with string ids '0'..'n-1'."""
    w = libpysal.weights.lat2W(nrows, ncols)
    w.transform = "r"
    return w, string_ids(w)


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


def spreg_arrays(df):
    """y and X = (x1, x2) of a simulated panel stacked by year, then unit (spreg's order)."""
    df = df.assign(u=df["unit"].astype(int)).sort_values(["year", "u"])
    return df[["y"]].to_numpy(), df[["x1", "x2"]].to_numpy()


def true_effects(W, beta, theta, rho):
    n = W.shape[0]
    inv = np.linalg.inv(np.eye(n) - rho * W)
    out = {}
    for j, (b, t) in enumerate(zip(beta, theta)):
        S = inv @ (np.eye(n) * b + W * t)
        direct = np.trace(S) / n
        total = S.sum() / n
        out[f"x{j + 1}"] = (direct, total - direct, total)
    return out


def assert_effects_at_estimates(r, W):
    """The reported effects equal S_k = (I − ρW)⁻¹(Iβ_k + Wθ_k) by explicit inversion."""
    p = r.params
    truth = true_effects(W, p[["x1", "x2"]].to_numpy(), p[["W*x1", "W*x2"]].to_numpy(), p["rho"])
    eff = r.effects.set_index("covariate")
    for name, values in truth.items():
        for label, value in zip(("direct", "indirect", "total"), values):
            assert eff.loc[name, label] == pytest.approx(value, rel=1e-8), (name, label)
