"""CASA (SPEC §3): worked check, numpy cross-check, edge cases, chunk invariance, outputs."""

import json
import math
import re

import dask.array as da
import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.casa import cell, kernels, params
from carbonbalance.casa.params import CasaParams, MONTHLY_TERMS, TYPES
from carbonbalance.casa.cell import run_cell
from carbonbalance.casa.engine import casa_dataset, casa_stacked, ndvi_limits
from carbonbalance.casa.stage import run_casa_year
from carbonbalance.casa.reference import casa_numpy, ndvi_percentile_limits
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.core.store import create_store, open_store, write_block

T_WUHAN = [4, 6, 10, 17, 22, 26, 29, 28, 24, 18, 12, 6]
P_WUHAN = [45, 60, 95, 130, 165, 225, 190, 115, 75, 80, 55, 30]
NDVI_PEAK_JULY = [0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.65, 0.55, 0.4, 0.3, 0.2]
SOL = [200, 250, 320, 400, 450, 480, 520, 500, 420, 330, 240, 190]
CLASSES = {"1": "ENF", "2": "EBF", "4": "DBF", "10": "grass", "12": "crop", "16": None, "17": None}


def rel(a, b):
    return abs(a - b) / abs(b)


# ---------------------------------------------------------------- worked check of SPEC §3

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
    dl = run_cell(NDVI_PEAK_JULY, T_WUHAN, P_WUHAN, SOL, "DBF", params={"thornthwaite_correction": "daylength"},
                  latitude=30.0, year=2020)
    ratio = dl["ep0"] / base["ep0"]
    assert ratio[6] == pytest.approx(kernels.day_length_hours(30.0, 198.0) / 12 * 31 / 30, rel=1e-9)  # 16 July 2020 = day 198
    assert ratio[6] > 1.1 and ratio[11] < 0.9
    with pytest.raises(ConfigError, match="latitudes"):
        run_cell(NDVI_PEAK_JULY, T_WUHAN, P_WUHAN, SOL, "DBF", params={"thornthwaite_correction": "daylength"})


# ---------------------------------------------------------------- against the numpy reference

def random_inputs(rng, ny=30, nx=40):
    nd = rng.uniform(-0.2, 0.95, (12, ny, nx))
    T = rng.uniform(-25, 35, (12, ny, nx))
    P = rng.uniform(0, 300, (12, ny, nx))
    P[:, :2] = 0.0
    T[:, 2:4] = rng.uniform(-30, -0.5, (12, 2, nx))  # whole year at or below zero
    S = rng.uniform(50, 700, (12, ny, nx))
    vt = rng.integers(-2, len(TYPES), (ny, nx)).astype("int8")
    return nd, T, P, S, vt


@pytest.mark.parametrize("variant", [{}, {"half_rule": False, "clamp_w_eps": False, "alpha": 0.3},
                                     {"thornthwaite_correction": "daylength"}])
def test_every_term_matches_independent_numpy_reference(variant):
    rng = np.random.default_rng(11)
    nd, T, P, S, vt = random_inputs(rng)
    p = CasaParams.from_config(variant)
    mins, maxs = p.table_limits()
    lat = rng.uniform(18, 53, vt.shape)
    days, doy = params.month_days(2020)
    daylength = np.array([[[kernels.day_length_hours(lat[i, j], doy[m]) for j in range(vt.shape[1])]
                           for i in range(vt.shape[0])] for m in range(12)])
    ref = casa_numpy(nd, T, P, S, vt, p, mins, maxs, days=days, daylength=daylength)
    ds = casa_dataset(da.from_array(nd, chunks=(12, 7, 13)), T, P, S, da.from_array(vt, chunks=(7, 13)), p,
                      mins, maxs, lat=lat, year=2020, dtype="float64").compute()
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
@given(t=st.lists(st.floats(-30, 38).map(lambda x: round(x, 3)), min_size=12, max_size=12),
       p=st.lists(st.floats(0, 400).map(lambda x: round(x, 3)), min_size=12, max_size=12),
       ndvi=st.lists(st.floats(-0.3, 0.99).map(lambda x: round(x, 4)), min_size=12, max_size=12),
       s=st.lists(st.floats(0, 800).map(lambda x: round(x, 3)), min_size=12, max_size=12),
       k=st.sampled_from(TYPES))
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
    ref = casa_numpy(np.reshape(ndvi, (12, 1)), np.reshape(t, (12, 1)), np.reshape(p, (12, 1)),
                     np.reshape(s, (12, 1)), np.array([TYPES.index(k)]), pr, mins, maxs)
    for name in MONTHLY_TERMS:
        np.testing.assert_allclose(r[name], ref[name][:, 0], rtol=1e-9, atol=1e-9, err_msg=name)


# ---------------------------------------------------------------- edge cases

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
    col = lambda v: np.asarray(v, float).reshape(12, 1, 1)  # noqa: E731
    out = cell.run_block(col(nd), col(t), col(P_WUHAN), col(SOL), vt, CasaParams(), *CasaParams().table_limits(),
                         terms=())
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
    col = lambda v: np.repeat(np.asarray(v, float)[:, None, None], n, axis=2).reshape(12, 2, 3)  # noqa: E731
    out = cell.run_block(col(NDVI_PEAK_JULY), col(T_WUHAN), col(P_WUHAN), col(SOL), vt, CasaParams(),
                         *CasaParams().table_limits())
    a0 = len(MONTHLY_TERMS) * 12
    status = out[a0 + 4]
    assert status.tolist() == [[0, 1, 1], [2, 0, 0]]
    assert np.isnan(out[a0, 0, 1]) and np.isnan(out[a0, 1, 0]) and np.isfinite(out[a0, 1, 1])
    with pytest.raises(InputError, match=r"class code\(s\) \[9\]"):
        params.vegetation_type(np.array([[9.0]]), codes, types)


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="casa: unknown key"):
        CasaParams.from_config({"alpah": 0.5})
    with pytest.raises(ConfigError, match="ndvi_table.ENF"):
        CasaParams.from_config({"ndvi_table": {"ENF": [0.7, 0.5]}})
    with pytest.raises(ConfigError, match="landcover_classes: code 1 maps to unknown class .forest."):
        params.type_lookup({"1": "forest"})


# ---------------------------------------------------------------- NDVI limits and chunking

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 3000), q=st.floats(0, 100))
def test_histogram_percentile_within_one_bin_of_numpy(seed, n, q):
    v = np.random.default_rng(seed).beta(2, 3, n)
    v = v[v > 0]
    width = 1e-4
    counts = np.bincount(np.minimum((v / width).astype(int), 9999), minlength=10000)
    assert abs(kernels.histogram_percentile(counts, q, width) - np.percentile(v, q)) < width


def test_ndvi_limits_match_exact_percentiles_and_fall_back_for_rare_types():
    rng = np.random.default_rng(5)
    nd, T, P, S, vt = random_inputs(rng, 40, 50)
    vt[vt == TYPES.index("DNF")] = TYPES.index("DBF")
    vt[0, 0] = TYPES.index("DNF")  # one cell, at most 12 cell-months < min_percentile_samples
    p = CasaParams()
    mask = rng.random(vt.shape) > 0.2
    mins, maxs, rec = ndvi_limits(da.from_array(nd, chunks=(12, 16, 16)), da.from_array(vt, chunks=(16, 16)), p,
                                  mask=da.from_array(mask, chunks=(16, 16)))
    ex_min, ex_max = ndvi_percentile_limits(nd, vt, p, mask=mask)
    np.testing.assert_allclose(mins, ex_min, atol=1e-4)
    np.testing.assert_allclose(maxs, ex_max, atol=1e-4)
    assert rec["types"]["DNF"]["source"].startswith("table (only")
    assert (mins[2], maxs[2]) == params.NDVI_TABLE["DNF"] and TYPES[2] == "DNF"
    assert rec["types"]["ENF"]["source"] == "percentile"


def test_grid_output_identical_for_three_chunk_shapes():
    rng = np.random.default_rng(3)
    nd, T, P, S, vt = random_inputs(rng, 45, 61)
    nd[:, 5:9, 7:20] = np.nan
    p = CasaParams()
    results = []
    for chunks in ((45, 61), (16, 16), (7, 13)):  # whole, dividing neither axis, odd
        ndd = da.from_array(nd, chunks=(12,) + chunks)
        vtd = da.from_array(vt, chunks=chunks)
        mins, maxs, _ = ndvi_limits(ndd, vtd, p)
        out = casa_stacked(ndd, T, P, S, vtd, p, mins, maxs).compute()
        results.append((mins, maxs, out))
    for mins, maxs, out in results[1:]:
        np.testing.assert_array_equal(mins, results[0][0])
        np.testing.assert_array_equal(maxs, results[0][1])
        np.testing.assert_array_equal(out, results[0][2])


# ---------------------------------------------------------------- the stage on stores

def _write_inputs(tmp_path, grid, rng, radiation_units="MJ m-2 month-1"):
    shape = (12,) + grid.shape
    months = np.arange(12)[:, None, None]
    fields = {
        "ndvi": (0.35 + 0.4 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 0.03, shape), "1"),
        "temperature": (2 + 26 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 1, shape), "degC"),
        "precipitation": (np.abs(30 + 150 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 10, shape)),
                          "mm month-1"),
        "radiation": (250 + 300 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 10, shape), radiation_units),
    }
    paths = {}
    for var, (data, units) in fields.items():
        paths[var] = tmp_path / f"{var}.zarr"
        create_store(paths[var], grid, {var: {"dtype": "float32", "attrs": {"units": units}}},
                     leading={"month": np.arange(1, 13)})
        write_block(paths[var], var, data.astype("float32"), slice(None), slice(None))
    lc = rng.choice([1, 2, 4, 12, 17], grid.shape).astype("int32")
    paths["landcover"] = tmp_path / "landcover.zarr"
    create_store(paths["landcover"], grid, {"landcover": {"dtype": "int32", "fill": -1, "attrs": {"units": "class"}}})
    write_block(paths["landcover"], "landcover", lc, slice(None), slice(None))
    from carbonbalance.ingest.stage import write_cell_area
    paths["cell_area"] = tmp_path / "cell_area.zarr"
    write_cell_area(grid, paths["cell_area"])
    return paths, lc


def _outputs(tmp_path):
    out = {k: tmp_path / "out" / f"{k}.tif" for k in ("npp", "rh", "nep", "sequestration")}
    out["monthly"] = tmp_path / "out" / "casa_monthly.zarr"
    return out


@pytest.mark.parametrize("variant", ["fan2024", "peng2023"])
def test_run_casa_year_writes_cogs_zarr_and_sequestration(tmp_path, small_grid, variant):
    rng = np.random.default_rng(1)
    paths, lc = _write_inputs(tmp_path, small_grid, rng)
    params = CasaParams.from_config({"sequestration": {"variant": variant}, "min_percentile_samples": 10})
    out = _outputs(tmp_path)
    rec = run_casa_year(paths, small_grid, params, CLASSES, 2020, out, threads=2)
    json.dumps(rec)
    arrays = {}
    for k in ("npp", "rh", "nep", "sequestration"):
        with rasterio.open(out[k]) as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert src.dtypes[0] == "float32" and math.isnan(src.nodata)
            assert src.tags(1)["units"] == ("t CO2 per cell" if k == "sequestration" else "g C m-2 yr-1")
            assert src.crs is not None and src.transform == small_grid.transform
            arrays[k] = src.read(1)
    water = lc == 17
    assert np.isnan(arrays["npp"][water]).all() and np.isfinite(arrays["npp"][~water]).all()
    np.testing.assert_allclose(arrays["nep"], arrays["npp"] - arrays["rh"], rtol=1e-5, atol=1e-3)
    area = open_store(paths["cell_area"])["cell_area_m2"].values
    src, factor = ("nep", 44 / 12) if variant == "fan2024" else ("npp", 1.62 / 0.45)
    np.testing.assert_allclose(arrays["sequestration"], arrays[src] * area * 1e-6 * factor, rtol=1e-5)
    assert rec["sequestration_total_tco2"] == pytest.approx(np.nansum(arrays["sequestration"].astype(float)),
                                                            rel=1e-5)
    monthly = open_store(out["monthly"])
    assert set(monthly.data_vars) >= set(params.monthly_variables)
    assert monthly["npp"].attrs["units"] == "g C m-2 month-1"
    np.testing.assert_allclose(monthly["npp"].sum("month", skipna=False).values, arrays["npp"], rtol=1e-5)
    assert rec["cells_by_status"]["computed"] == int((~water).sum())
    assert rec["cells_by_status"]["non-vegetated class"] == int(water.sum())
    assert rec["ndvi_limits"]["types"]["ENF"]["source"] == "percentile"
    assert set(rec["mean_annual_npp_g_c_m2_by_type"]) == {"ENF", "EBF", "DBF", "crop"}


def test_run_casa_year_rejects_wrong_units_and_writes_nothing(tmp_path, small_grid):
    rng = np.random.default_rng(2)
    paths, _ = _write_inputs(tmp_path, small_grid, rng, radiation_units="W m-2")
    out = _outputs(tmp_path)
    with pytest.raises(InputError, match=r"radiation.zarr: variable 'radiation' has units 'W m-2'"):
        run_casa_year(paths, small_grid, CasaParams(), CLASSES, 2020, out)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_plausibility_flags_are_counted(tmp_path, small_grid):
    rng = np.random.default_rng(4)
    paths, lc = _write_inputs(tmp_path, small_grid, rng)
    params = CasaParams.from_config({"plausibility": {"monthly_npp_max": 50, "annual_npp_max": 300}})
    rec = run_casa_year(paths, small_grid, params, CLASSES, 2019, _outputs(tmp_path))
    with rasterio.open(_outputs(tmp_path)["npp"]) as src:
        npp = src.read(1)
    monthly = open_store(_outputs(tmp_path)["monthly"])["npp"].values
    assert rec["plausibility"]["annual_npp_gt_max_cells"] == int(np.nansum(npp > 300)) > 0
    assert rec["plausibility"]["monthly_npp_gt_max_cell_months"] == int(np.nansum(monthly > 50)) > 0


# ---------------------------------------------------------------- building blocks

def test_vectorised_exp_matches_numpy():
    x = np.concatenate([np.random.default_rng(0).uniform(-700, 700, 5000), np.linspace(-30, 30, 1001),
                        [0.0, -0.0, 1e-300, -1e-12, 700.0, -700.0]])
    out = np.empty_like(x)
    kernels.vexp(x, out, x.size, np.empty(x.size, dtype="int64"))
    np.testing.assert_allclose(out, np.exp(x), rtol=1e-14, atol=0)


def test_chunked_view_does_not_copy():
    from carbonbalance.core.blocks import chunked_view

    a = np.arange(12 * 9 * 7, dtype="float32").reshape(12, 9, 7)
    v = chunked_view(a, (12, 4, 3))
    assert v.chunks == ((12,), (4, 4, 1), (3, 3, 1))
    np.testing.assert_array_equal(v.compute(), a)
    shared = v.map_blocks(lambda b: np.array([[[np.shares_memory(b, a)]]]), dtype=bool,
                          chunks=((1,), (1,) * 3, (1,) * 3)).compute()
    assert shared.all()


def test_benchmark_script_runs_small(tmp_path):
    """benchmarks/casa.py end to end on a tiny grid (a smoke test; no timing is asserted)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "casa.py"
    proc = subprocess.run([sys.executable, str(script), "--rows", "64", "--cols", "48", "--chunk", "32",
                           "--repeat", "1", "--repeat-numpy", "1", "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"casa_speedup_vs_numpy=\d+\.\d\d peak_rss_gb=\d+\.\d\d", last), last
    assert "store path 128 x 96 (4x)" in proc.stdout
    assert "agreement: total annual NPP relative difference" in proc.stdout


def test_map_outlines_drop_zero_area_seams():
    from shapely.geometry import Polygon

    from carbonbalance.plots.maps import _without_slivers

    seam = [(2, 0), (2, 5), (2, 10), (2, 5)]  # a zero-area ring, as left by a dissolve
    real_hole = [(5, 5), (6, 5), (6, 6), (5, 6)]
    p = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [seam, real_hole])
    cleaned = _without_slivers(p)
    assert len(cleaned.interiors) == 1 and cleaned.area == pytest.approx(99.0)


def test_a_missing_ndvi_month_stops_the_run_naming_the_month(tmp_path, small_grid):
    """A whole NDVI month without data would be filled with FPARmin (NPP -19 %); the share of
    vegetated cells without NDVI per month is checked (casa.max_gap_filled_share)."""
    rng = np.random.default_rng(6)
    paths, lc = _write_inputs(tmp_path, small_grid, rng)
    nd = open_store(paths["ndvi"])["ndvi"].values
    nd[4] = np.nan  # May
    write_block(paths["ndvi"], "ndvi", nd.astype("float32"), slice(None), slice(None))
    with pytest.raises(InputError, match=r"ndvi 2020 \(.*ndvi\.zarr\): vegetated cells without NDVI \(filled with "
                                         r"FPARmin\) in month 05: 100\.0 % .*casa\.max_gap_filled_share = 0\.1"):
        run_casa_year(paths, small_grid, CasaParams(), CLASSES, 2020, _outputs(tmp_path))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    nd[4, :5] = 0.5  # a few cells of the month have data: still far above the limit
    write_block(paths["ndvi"], "ndvi", nd.astype("float32"), slice(None), slice(None))
    rec = run_casa_year(paths, small_grid, CasaParams.from_config({"max_gap_filled_share": 1.0}), CLASSES, 2020,
                        _outputs(tmp_path))
    share = rec["vegetated_cells_without_ndvi_share_by_month"]
    assert share[1] == 0.0 and share[5] == pytest.approx(1 - ((lc[:5] != 17).sum() / (lc != 17).sum()))
