"""CASA on one cell (SPEC §3): the worked check, options and edge cases through run_cell."""

import math

import numpy as np
import pytest

from carbonbalance.casa import cell, kernels, params
from carbonbalance.casa.cell import run_cell
from carbonbalance.casa.params import MONTHLY_TERMS, TYPES, CasaParams
from carbonbalance.errors import ConfigError, InputError

T_WUHAN = [4, 6, 10, 17, 22, 26, 29, 28, 24, 18, 12, 6]


P_WUHAN = [45, 60, 95, 130, 165, 225, 190, 115, 75, 80, 55, 30]


NDVI_PEAK_JULY = [0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.65, 0.55, 0.4, 0.3, 0.2]


SOL = [200, 250, 320, 400, 450, 480, 520, 500, 420, 330, 240, 190]


CLASSES = {"1": "ENF", "2": "EBF", "4": "DBF", "10": "grass", "12": "crop", "16": None, "17": None}


def rel(a, b):
    return abs(a - b) / abs(b)


def test_spec_worked_check_through_run_cell():
    r = run_cell(NDVI_PEAK_JULY, T_WUHAN, P_WUHAN, SOL, "DBF")
    assert r["status"] == "computed"
    assert r["topt"] == 29.0
    checks = {
        "t_eps1 (Topt = 29)": (r["t_eps1"][0], 0.9595),
        "sum Ep0": (r["ep0"].sum(), 845.9),
        "July Ep0": (r["ep0"][6], 158.9),
        "July Rn": (r["rn"][6], 159.2),
        "July E": (r["e"][6], 129.3),
        "July Ep": (r["ep"][6], 144.1),
        "July Tε2": (r["t_eps2"][6], 0.9912),
        "January Tε2 (half rule)": (r["t_eps2"][0], 0.4956),
        "annual RH": (r["rh"].sum(), 352.9),
    }
    for name, (got, want) in checks.items():
        assert rel(got, want) < 1e-3, f"{name}: {got} vs {want}"
    assert r["rh_annual"] == pytest.approx(r["rh"].sum(), rel=1e-12)
    assert r["nep_annual"] == pytest.approx(r["npp_annual"] - r["rh_annual"], rel=1e-12)
    # NPP = SOL · FPAR · 0.5 · Tε1 · Tε2 · Wε · εmax, month by month
    want = np.array(SOL) * r["fpar"] * 0.5 * r["t_eps1"] * r["t_eps2"] * r["w_eps"] * 0.692
    np.testing.assert_allclose(r["npp"], want, rtol=1e-12)


def test_run_cell_options_change_what_spec_says():
    base = run_cell(NDVI_PEAK_JULY, T_WUHAN, P_WUHAN, SOL, "DBF")
    no_half = run_cell(NDVI_PEAK_JULY, T_WUHAN, P_WUHAN, SOL, "DBF", params={"half_rule": False})
    t = 4.0
    formula = 1.1814 / (1 + math.exp(0.2 * (29 - 10 - t))) / (1 + math.exp(0.3 * (-29 - 10 + t)))
    assert no_half["t_eps2"][0] == pytest.approx(formula, rel=1e-12)
    c184 = run_cell(NDVI_PEAK_JULY, T_WUHAN, P_WUHAN, SOL, "DBF", params={"t_eps2_constant": 1.184})
    np.testing.assert_allclose(c184["t_eps2"], base["t_eps2"] * 1.184 / 1.1814, rtol=1e-12)
    # day-length correction at 30° N: July days are longer than 12 h, December shorter
    dl = run_cell(
        NDVI_PEAK_JULY,
        T_WUHAN,
        P_WUHAN,
        SOL,
        "DBF",
        params={"thornthwaite_correction": "daylength"},
        latitude=30.0,
        year=2020,
    )
    ratio = dl["ep0"] / base["ep0"]
    assert ratio[6] == pytest.approx(
        kernels.day_length_hours(30.0, 198.0) / 12 * 31 / 30, rel=1e-9
    )  # 16 July 2020 = day 198
    assert ratio[6] > 1.1 and ratio[11] < 0.9
    with pytest.raises(ConfigError, match="latitudes"):
        run_cell(NDVI_PEAK_JULY, T_WUHAN, P_WUHAN, SOL, "DBF", params={"thornthwaite_correction": "daylength"})


def test_zero_precipitation_gives_no_et_and_half_water_stress():
    r = run_cell(NDVI_PEAK_JULY, T_WUHAN, [0.0] * 12, SOL, "grass")
    assert np.all(r["e"] == 0) and np.all(r["w_eps"] == 0.5)
    assert np.all(np.isfinite(r["rn"])) and np.all(r["rn"] > 0)
    assert r["rh"][0] == pytest.approx(0.22 * (math.exp(0.0913 * 4) + 0.0) * 30 * 0.465, rel=1e-12)


def test_year_at_or_below_zero_has_no_et_and_no_water_stress():
    t = [-8, -6, -3, -1, 0, -0.5, -2, -4, -5, -7, -9, -9.5]
    r = run_cell(NDVI_PEAK_JULY, t, P_WUHAN, SOL, "grass")
    assert r["status"] == "computed"
    assert np.all(r["ep0"] == 0) and np.all(r["ep"] == 0) and np.all(r["w_eps"] == 1.0)
    assert np.all(np.isfinite(r["npp"]))


def test_ep_zero_takes_precedence_over_zero_precipitation():
    """P = 0 and Ep0 = 0 in the same month: Ep = 0 wins, W_eps = 1 (not the 0.5 of P = 0)."""
    t = [-8, -6, -3, 2, 8, 14, 18, 16, 9, 1, -4, -9]
    p = [0.0, 12.0, 0.0, 0.0, 20.0, 40.0, 60.0, 50.0, 30.0, 10.0, 0.0, 0.0]
    r = run_cell(NDVI_PEAK_JULY, t, p, SOL, "grass")
    cold_dry = (np.array(t) <= 0) & (np.array(p) == 0)
    warm_dry = (np.array(t) > 0) & (np.array(p) == 0)
    assert cold_dry.sum() == 4 and warm_dry.sum() == 1
    assert np.all(r["w_eps"][cold_dry] == 1.0) and np.all(r["ep0"][cold_dry] == 0)
    assert np.all(r["w_eps"][warm_dry] == 0.5) and np.all(r["ep0"][warm_dry] > 0)


def test_months_at_or_below_minus_ten_have_no_npp_but_respire():
    t = [-15, -10, -5, 5, 12, 18, 22, 20, 14, 6, -10.0001, -20]
    r = run_cell(NDVI_PEAK_JULY, t, P_WUHAN, SOL, "ENF")
    cold = np.array(t) <= -10
    assert np.all(r["t_eps1"][cold] == 0) and np.all(r["npp"][cold] == 0)
    assert np.all(r["t_eps1"][~cold] > 0) and np.all(r["npp"][~cold] > 0)
    assert np.all(r["rh"] > 0)


def test_all_ndvi_nodata_gives_nodata_cell():
    r = run_cell([np.nan] * 12, T_WUHAN, P_WUHAN, SOL, "crop")
    assert r["status"] == "no valid NDVI month"
    assert all(np.isnan(r[n]).all() for n in MONTHLY_TERMS) and math.isnan(r["npp_annual"])


def test_missing_ndvi_month_filled_with_fpar_min_or_nodata():
    nd = list(NDVI_PEAK_JULY)
    nd[0] = np.nan
    r = run_cell(nd, T_WUHAN, P_WUHAN, SOL, "crop")
    assert r["fpar"][0] == 0.001 and r["status"] == "computed"
    r2 = run_cell(nd, T_WUHAN, P_WUHAN, SOL, "crop", params={"missing_ndvi_month": "nodata"})
    assert r2["status"].startswith("missing NDVI month") and math.isnan(r2["npp_annual"])


def test_t_eps1_below_zero_is_counted_and_optionally_floored():
    t = [-30, -28, -26, -20, -12, -8, -5, -9, -15, -22, -27, -30]
    nd = [0.3] + [0.1] * 11  # NDVI peaks in January: Topt = -30 °C
    r = run_cell(nd, t, P_WUHAN, SOL, "grass")
    want = 0.8 + 0.02 * -30 - 0.0005 * 900
    assert want < 0 and r["t_eps1"][6] == pytest.approx(want) and r["npp"][6] < 0
    f = run_cell(nd, t, P_WUHAN, SOL, "grass", params={"t_eps1_floor": True})
    assert np.all(f["t_eps1"] == 0) and np.all(f["npp"] == 0)
    vt = np.array([[TYPES.index("grass")]], dtype="int8")
    col = lambda v: np.asarray(v, float).reshape(12, 1, 1)
    out = cell.run_block(
        col(nd), col(t), col(P_WUHAN), col(SOL), vt, CasaParams(), *CasaParams().table_limits(), terms=()
    )
    assert out[params.ANNUAL_TERMS.index("n_t_eps1_negative"), 0, 0] == 1


def test_ndvi_exactly_at_type_limits():
    lo, hi = params.NDVI_TABLE["DBF"]
    nd = [lo, hi, lo - 0.05, hi + 0.1] + NDVI_PEAK_JULY[4:]
    r = run_cell(nd, T_WUHAN, P_WUHAN, SOL, "DBF")
    assert r["fpar"][0] == pytest.approx(0.001, abs=1e-15)
    assert r["fpar"][1] == pytest.approx(0.95, rel=1e-12)
    assert r["fpar"][2] == r["fpar"][0] and r["fpar"][3] == r["fpar"][1]  # clamped


def test_masked_classes_and_missing_landcover_are_nodata():
    codes, types = params.type_lookup(CLASSES)
    lc = np.array([[1, 16, 17], [np.nan, 12, 2]])
    vt = params.vegetation_type(lc, codes, types)
    assert vt.tolist() == [[0, -1, -1], [-2, 7, 1]]
    n = 6
    col = lambda v: np.repeat(np.asarray(v, float)[:, None, None], n, axis=2).reshape(12, 2, 3)
    out = cell.run_block(
        col(NDVI_PEAK_JULY), col(T_WUHAN), col(P_WUHAN), col(SOL), vt, CasaParams(), *CasaParams().table_limits()
    )
    a0 = len(MONTHLY_TERMS) * 12
    status = out[a0 + 4]
    assert status.tolist() == [[0, 1, 1], [2, 0, 0]]
    assert np.isnan(out[a0, 0, 1]) and np.isnan(out[a0, 1, 0]) and np.isfinite(out[a0, 1, 1])
    with pytest.raises(InputError, match=r"class code\(s\) \[9\]"):
        params.vegetation_type(np.array([[9.0]]), codes, types)
