"""The CASA kernel against an independent numpy implementation; its vectorised exp and histogram percentiles."""

import dask.array as da
import numpy as np
import pytest
from conftest import random_casa_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.casa import kernels, params
from carbonbalance.casa.cell import run_cell
from carbonbalance.casa.engine import casa_dataset
from carbonbalance.casa.params import MONTHLY_TERMS, TYPES, CasaParams
from carbonbalance.casa.reference import casa_numpy


@pytest.mark.parametrize(
    "variant", [{}, {"half_rule": False, "clamp_w_eps": False, "alpha": 0.3}, {"thornthwaite_correction": "daylength"}]
)
def test_every_term_matches_independent_numpy_reference(variant):
    rng = np.random.default_rng(11)
    nd, T, P, S, vt = random_casa_inputs(rng)
    p = CasaParams.from_config(variant)
    mins, maxs = p.table_limits()
    lat = rng.uniform(18, 53, vt.shape)
    days, doy = params.month_days(2020)
    daylength = np.array(
        [
            [[kernels.day_length_hours(lat[i, j], doy[m]) for j in range(vt.shape[1])] for i in range(vt.shape[0])]
            for m in range(12)
        ]
    )
    ref = casa_numpy(nd, T, P, S, vt, p, mins, maxs, days=days, daylength=daylength)
    ds = casa_dataset(
        da.from_array(nd, chunks=(12, 7, 13)),
        T,
        P,
        S,
        da.from_array(vt, chunks=(7, 13)),
        p,
        mins,
        maxs,
        lat=lat,
        year=2020,
        dtype="float64",
    ).compute()
    assert (ds["status"].values == 0).sum() > 500
    for name in MONTHLY_TERMS + ("annual_npp", "annual_rh", "annual_nep", "topt"):
        got, want = ds[name].values, ref[name]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=name)
        m = np.isfinite(want)
        scale = np.abs(want[m])
        if name in ("nep", "annual_nep"):  # a difference: relative to its parts
            scale = np.abs(ref[name.replace("nep", "npp")][m]) + np.abs(ref[name.replace("nep", "rh")][m])
        err = np.abs(got[m] - want[m]) / np.maximum(scale, 1e-300)
        assert err.max() < 1e-6, f"{name}: max relative error {err.max():.3g}"


@settings(max_examples=60, deadline=None)
@given(
    t=st.lists(st.floats(-30, 38).map(lambda x: round(x, 3)), min_size=12, max_size=12),
    p=st.lists(st.floats(0, 400).map(lambda x: round(x, 3)), min_size=12, max_size=12),
    ndvi=st.lists(st.floats(-0.3, 0.99).map(lambda x: round(x, 4)), min_size=12, max_size=12),
    s=st.lists(st.floats(0, 800).map(lambda x: round(x, 3)), min_size=12, max_size=12),
    k=st.sampled_from(TYPES),
)
def test_cell_invariants_and_reference(t, p, ndvi, s, k):
    """Inputs at measurement precision (no subnormal temperatures)."""
    pr = CasaParams(t_eps1_floor=True)  # Topt < -24.7 °C would make NPP negative by design
    r = run_cell(ndvi, t, p, s, k, params=pr)
    assert np.all((r["fpar"] >= pr.fpar_min) & (r["fpar"] <= pr.fpar_max))
    assert np.all((r["w_eps"] >= 0.5) & (r["w_eps"] <= 1.0))
    assert np.all((r["t_eps2"] > 0) & (r["t_eps2"] <= pr.t_eps2_constant))
    assert np.all(r["npp"] >= 0) and np.all(r["e"] >= 0) and np.all(r["e"] <= r["rn"] + 1e-9)
    np.testing.assert_allclose(r["nep"], r["npp"] - r["rh"], rtol=1e-12, atol=1e-12)
    mins, maxs = pr.table_limits()
    ref = casa_numpy(
        np.reshape(ndvi, (12, 1)),
        np.reshape(t, (12, 1)),
        np.reshape(p, (12, 1)),
        np.reshape(s, (12, 1)),
        np.array([TYPES.index(k)]),
        pr,
        mins,
        maxs,
    )
    for name in MONTHLY_TERMS:
        np.testing.assert_allclose(r[name], ref[name][:, 0], rtol=1e-9, atol=1e-9, err_msg=name)


def test_vectorised_exp_matches_numpy():
    x = np.concatenate(
        [
            np.random.default_rng(0).uniform(-700, 700, 5000),
            np.linspace(-30, 30, 1001),
            [0.0, -0.0, 1e-300, -1e-12, 700.0, -700.0],
        ]
    )
    out = np.empty_like(x)
    kernels.vexp(x, out, x.size, np.empty(x.size, dtype="int64"))
    np.testing.assert_allclose(out, np.exp(x), rtol=1e-14, atol=0)
