"""LeSage-Pace effects: closed form for the SLM, non-row-standardised W."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance import econometrics as em
from carbonbalance import spatial
from carbonbalance.demo.geometry import make_boundaries
from carbonbalance.errors import ConfigError


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
def demo_counties():
    """62 demo counties (3 provinces × 4 cities × 5 counties, plus the island and the tiny district)."""
    gdf = make_boundaries(np.random.default_rng(5), n_provinces=3, cities_per_province=4, counties_per_city=5)
    gdf = gdf.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs")
    w = spatial.weights(gdf, kind="queen", islands="nearest")
    W = w.full()[0]
    ids = [str(i) for i in range(len(gdf))]
    wdf = pd.DataFrame(W, index=ids, columns=ids)
    return gdf, W, wdf


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
