"""Spatial panel models against spreg, simulation recovery and bias, errors that name the problem."""

import warnings

import libpysal
import numpy as np
import pandas as pd
import pytest
from panels import assert_effects_at_estimates, simulate, spreg_arrays, string_ids, true_effects

from carbonbalance import econometrics as em
from carbonbalance import spatial
from carbonbalance.demo.geometry import make_boundaries
from carbonbalance.errors import ConfigError, InputError

spreg = pytest.importorskip("spreg")


def spreg_fit(cls, df, w, **kw):
    y, X = spreg_arrays(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(spreg, cls)(y, X, w, **kw)


TRUE = {"x1": 1.0, "x2": -0.5, "W*x1": 0.4, "W*x2": 0.3, "rho": 0.3}


@pytest.mark.parametrize(
    "model, reference, kw, terms",
    [
        ("slm", "Panel_FE_Lag", {}, ["x1", "x2", "rho"]),
        ("sem", "Panel_FE_Error", {}, ["x1", "x2", "lambda"]),
        ("sdm", "ML_LagFE", {"slx_lags": 1, "spat_impacts": None}, ["x1", "x2", "W*x1", "W*x2", "rho"]),
    ],
)
def test_unit_effects_models_equal_spreg(lattice_panel, model, reference, kw, terms):
    """SLM = spreg.Panel_FE_Lag, SEM = spreg.Panel_FE_Error, SDM = spreg.ML_LagFE with WX."""
    w, ws, df = lattice_panel
    r = em.spatial_panel(df, "y", ["x1", "x2"], ws, "unit", "year", model=model, effects="unit", lee_yu=False)
    ref = spreg_fit(reference, df, w, **kw)
    assert list(r.coefficients["term"]) == terms
    np.testing.assert_allclose(r.coefficients["estimate"], ref.betas.ravel(), rtol=1e-4)
    np.testing.assert_allclose(r.coefficients["std_error"], ref.std_err, rtol=1e-4)
    if model != "sem":
        assert r.sigma2 == pytest.approx(float(np.squeeze(ref.sig2)), rel=1e-6)
    if model == "sdm":
        assert r.log_likelihood == pytest.approx(float(np.squeeze(ref.logll)), rel=1e-6)


@pytest.mark.parametrize("lee_yu", [False, True])
def test_sdm_recovers_simulated_parameters_and_effects(demo_counties, lee_yu):
    gdf, W, wdf = demo_counties
    assert 55 <= len(gdf) <= 70
    beta, theta = np.array([TRUE["x1"], TRUE["x2"]]), np.array([TRUE["W*x1"], TRUE["W*x2"]])
    df = simulate(W, 20, beta, theta, TRUE["rho"], seed=11)
    r = em.spatial_panel(
        df, "y", ["x1", "x2"], wdf, "unit", "year", model="sdm", effects="twoways", lee_yu=lee_yu, draws=2000, seed=3
    )
    c = r.coefficients.set_index("term")
    for term, value in TRUE.items():
        assert abs(c.loc[term, "estimate"] - value) < 3 * c.loc[term, "std_error"], (term, c.loc[term].to_dict())
    truth = true_effects(W, beta, theta, TRUE["rho"])
    eff = r.effects.set_index("covariate")
    for name, (direct, indirect, total) in truth.items():
        for label, value in (("direct", direct), ("indirect", indirect), ("total", total)):
            assert abs(eff.loc[name, label] - value) < 3 * eff.loc[name, f"{label}_se"], (name, label)
    # the SDM is the truth: Wald tests reject both restrictions
    assert (r.wald_tests["p_value"] < 0.01).all()
    assert r.sigma2 == pytest.approx(1.0, rel=0.15)


def test_standard_errors_match_the_spread_over_replications(demo_counties):
    """Over 30 simulated panels, the reported SEs of ρ and β agree with the sampling spread."""
    gdf, W, wdf = demo_counties
    beta, theta = np.array([1.0, -0.5]), np.array([0.4, 0.3])
    est, se = [], []
    for seed in range(30):
        df = simulate(W, 10, beta, theta, 0.3, seed=100 + seed)
        r = em.spatial_panel(
            df, "y", ["x1", "x2"], wdf, "unit", "year", model="sdm", effects="twoways", lee_yu=True, draws=50
        )
        est.append(r.params[["x1", "rho"]].to_numpy())
        se.append(r.coefficients.set_index("term").loc[["x1", "rho"], "std_error"].to_numpy())
    est, se = np.array(est), np.array(se)
    spread = est.std(axis=0, ddof=1)
    np.testing.assert_allclose(se.mean(axis=0), spread, rtol=0.35)
    # unbiased within the Monte Carlo error
    assert np.all(np.abs(est.mean(axis=0) - [1.0, 0.3]) < 3 * spread / np.sqrt(len(est)))


def test_default_estimator_is_unbiased_at_the_studies_panel_size():
    """N ≈ 30 regions (a real contiguity: 2 provinces × 3 cities × 5 counties of the demo, the
    island linked), T = 17, two-way effects, ρ = 0.4, θ₁ = 0.4: with the default settings (Lee–Yu)
    the mean estimates over 30 replications lie within 3 simulation SEs of the truth; the
    direct approach is visibly biased on the same panels."""
    gdf = make_boundaries(np.random.default_rng(8), n_provinces=2, cities_per_province=3, counties_per_city=5)
    gdf = gdf.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs")
    W = spatial.weights(gdf, kind="queen", islands="nearest").full()[0]
    ids = [str(i) for i in range(len(gdf))]
    wdf = pd.DataFrame(W, index=ids, columns=ids)
    assert 30 <= len(gdf) <= 34
    truth = {"x1": 1.0, "x2": -0.5, "W*x1": 0.4, "W*x2": 0.2, "rho": 0.4}
    beta, theta = np.array([truth["x1"], truth["x2"]]), np.array([truth["W*x1"], truth["W*x2"]])
    default, direct = [], []
    for rep in range(30):
        df = simulate(W, 17, beta, theta, truth["rho"], seed=900 + rep)
        r = em.spatial_panel(df, "y", ["x1", "x2"], wdf, "unit", "year", model="sdm", effects="twoways", draws=100)
        assert r.lee_yu
        default.append(r.params[list(truth)].to_numpy())
        d = em.spatial_panel(
            df, "y", ["x1", "x2"], wdf, "unit", "year", model="sdm", effects="twoways", lee_yu=False, draws=100
        )
        direct.append(d.params[list(truth)].to_numpy())
    default, direct = np.array(default), np.array(direct)
    sim_se = default.std(axis=0, ddof=1) / np.sqrt(len(default))
    bias = default.mean(axis=0) - np.array(list(truth.values()))
    assert np.all(np.abs(bias) < 3 * sim_se), dict(zip(truth, bias / sim_se))
    rho_direct = direct[:, -1]
    assert truth["rho"] - rho_direct.mean() > 3 * rho_direct.std(ddof=1) / np.sqrt(len(direct))


def test_lee_yu_corrects_sigma2_with_unit_effects_only(lattice_panel):
    """With unit effects only, Lee–Yu leaves ρ and β and scales σ² by T/(T − 1)."""
    _, ws, df = lattice_panel
    a = em.spatial_panel(df, "y", ["x1", "x2"], ws, "unit", "year", model="slm", effects="unit", lee_yu=False)
    b = em.spatial_panel(df, "y", ["x1", "x2"], ws, "unit", "year", model="slm", effects="unit")
    assert b.lee_yu and b.summary()["estimator"].iloc[0] == "Lee-Yu transformation approach"  # the default
    np.testing.assert_allclose(a.params, b.params, rtol=1e-6)
    T = df["year"].nunique()
    assert b.sigma2 == pytest.approx(a.sigma2 * T / (T - 1), rel=1e-7)


def test_errors_name_the_problem(lattice_panel):
    w, ws, df = lattice_panel
    x = ["x1", "x2"]
    with pytest.raises(InputError, match=r"unbalanced panel.*\('3', 2002\)"):
        em.spatial_panel(df.drop(index=df.index[(df.unit == "3") & (df.year == 2002)]), "y", x, ws, "unit", "year")
    collinear = df.assign(x3=df.x1 - 2 * df.x2)
    with pytest.raises(
        InputError,
        match=r"collinear covariates: x3 is a linear combination of \['x1', 'x2'\]; "
        r"W\*x3 is a linear combination of \['W\*x1', 'W\*x2'\]",
    ):
        em.spatial_panel(collinear, "y", ["x1", "x2", "x3"], ws, "unit", "year", model="sdm")
    fixed = df.assign(area=df.unit.astype(float))
    with pytest.raises(InputError, match=r"\['area', 'W\*area'\] have no variation within units"):
        em.spatial_panel(fixed, "y", ["x1", "area"], ws, "unit", "year", effects="unit")
    other = libpysal.weights.lat2W(7, 9)
    with pytest.raises(InputError, match=r"do not match the panel's units: 0 panel units missing.*7 W ids not in"):
        em.spatial_panel(
            df,
            "y",
            x,
            libpysal.weights.W({str(k): [str(j) for j in v] for k, v in other.neighbors.items()}),
            "unit",
            "year",
        )
    fewer = df[df.unit != "5"]
    with pytest.raises(InputError, match=r"1 W ids not in the panel \['5'\]"):
        em.spatial_panel(fewer, "y", x, ws, "unit", "year")
    nan = df.copy()
    nan.loc[nan.index[7], "x2"] = np.nan
    with pytest.raises(InputError, match=r"\('7', 2000, 'x2'\)"):
        em.spatial_panel(nan, "y", x, ws, "unit", "year")
    with pytest.raises(InputError, match="duplicate"):
        em.spatial_panel(pd.concat([df, df.iloc[:1]]), "y", x, ws, "unit", "year")
    with pytest.raises(ConfigError, match="model must be"):
        em.spatial_panel(df, "y", x, ws, "unit", "year", model="sar")


def test_sdm_with_asymmetric_knn_weights_equals_spreg():
    """KNN weights are not similar to a symmetric matrix: complex spectrum, general path."""
    pts = np.random.default_rng(2).uniform(0, 100, size=(60, 2))
    w = libpysal.weights.KNN.from_array(pts, k=4)
    w.transform = "r"
    ws = string_ids(w)
    W = w.full()[0]
    assert np.iscomplexobj(np.linalg.eigvals(W)) and np.abs(np.linalg.eigvals(W).imag).max() > 1e-3
    df = simulate(W, 8, np.array([1.0, -0.5]), np.array([0.3, 0.2]), 0.4, seed=3, time_fx=False)
    r = em.spatial_panel(
        df, "y", ["x1", "x2"], ws, "unit", "year", model="sdm", effects="unit", draws=200, lee_yu=False
    )  # spreg's direct approach
    ref = spreg_fit("ML_LagFE", df, w, slx_lags=1, spat_impacts=None)
    np.testing.assert_allclose(r.coefficients["estimate"], ref.betas.ravel(), rtol=1e-4)
    np.testing.assert_allclose(r.coefficients["std_error"], ref.std_err, rtol=1e-4)
    assert_effects_at_estimates(r, W)


def test_inverse_distance_robustness_weights_as_a_matrix_equal_the_libpysal_w(demo_counties):
    """The stage builds all-pairs inverse-distance weights as a matrix (a W's dictionaries take
    gigabytes at county scale); the SDM on it equals the SDM on libpysal's W."""
    from carbonbalance.econometrics.stage import unit_weights

    gdf, W, _ = demo_counties
    gdf = gdf.assign(unit_id=[str(i) for i in range(len(gdf))])
    df = simulate(W, 6, np.array([1.0, -0.5]), np.array([0.3, 0.2]), 0.3, seed=4)
    matrix = unit_weights(gdf, {"kind": "inverse_distance", "power": 2})
    assert isinstance(matrix, pd.DataFrame)
    w = spatial.weights(gdf, kind="inverse_distance", power=2, ids=gdf["unit_id"].tolist())
    kw = dict(model="sdm", effects="twoways", draws=200, seed=1)
    a = em.spatial_panel(df, "y", ["x1", "x2"], matrix, "unit", "year", **kw)
    b = em.spatial_panel(df, "y", ["x1", "x2"], w, "unit", "year", **kw)
    np.testing.assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"], rtol=1e-9)
    np.testing.assert_allclose(a.coefficients["std_error"], b.coefficients["std_error"], rtol=1e-8)
