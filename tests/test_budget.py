"""Budget indices, zoning schemes and LMDI (SPEC §6) on hand-computed small tables."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.budget.indices import balance_indices
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.budget.lmdi import decompose, EFFECTS, lmdi_table, log_mean
from carbonbalance.budget.zoning import classify, PRESETS, schemes_from_config, UNCLASSIFIED


def table(ce, cs, gdp, parent=None):
    n = len(ce)
    df = pd.DataFrame({"unit_id": [f"u{i}" for i in range(n)], "year": 2020, "ce_tco2": ce, "cs_tco2": cs,
                       "gdp_1e4yuan": gdp})
    if parent is not None:
        df["province_id"] = parent
    return df


def test_indices_by_hand():
    # R: CE 100, CS 50, G 1000
    t = balance_indices(table([60.0, 40.0], [20.0, 30.0], [500.0, 500.0]))
    np.testing.assert_allclose(t["cb_tco2"], [40, 10])
    np.testing.assert_allclose(t["cbi"], [3.0, 40 / 30])
    np.testing.assert_allclose(t["cii_tco2"], [40, 10])
    np.testing.assert_allclose(t["ecc"], [0.5 / 0.6, 0.5 / 0.4])
    np.testing.assert_allclose(t["esc"], [0.4 / 0.6, 0.6 / 0.4])
    np.testing.assert_allclose(t["ce_mean_region_tco2"], [50, 50])
    assert (t["note"] == "").all()


def test_cbi_missing_with_a_note_when_cs_not_positive_and_parent_reference():
    t = balance_indices(table([10.0, 30.0, 5.0, 5.0], [0.0, -2.0, 5.0, 15.0], [1.0, 3.0, 2.0, 2.0],
                              parent=["A", "A", "B", "B"]), reference="province_id")
    assert np.isnan(t["cbi"][0]) and np.isnan(t["cbi"][1]) and t["cbi"][2] == 1.0
    assert t["note"][0] == "CBI undefined: CS <= 0; ESC undefined: regional CS <= 0"
    assert t["note"][2] == "" and not np.isinf(t["cbi"]).any()
    # region A: CS_R = -2 <= 0 -> ESC undefined too; region B by hand
    assert np.isnan(t["esc"][0]) and "ESC undefined" in t["note"][1]
    np.testing.assert_allclose(t.loc[2:, "ecc"], [0.5 / 0.5, 0.5 / 0.5])
    np.testing.assert_allclose(t.loc[2:, "esc"], [(5 / 20) / 0.5, (15 / 20) / 0.5])


def test_one_unit_without_ce_or_gdp_never_stops_the_indices():
    """CE missing or <= 0: the row stays, CBI/ECC/ESC missing with the reason; the region
    totals use the units whose CE is known; a missing GDP leaves only ECC missing."""
    t = balance_indices(table([60.0, np.nan, 0.0, 40.0], [20.0, 5.0, 2.0, 30.0], [500.0, 300.0, 100.0, 400.0]))
    assert t["note"][1] == "CE missing: CBI, ECC and ESC undefined"
    assert t["note"][2] == "CE <= 0: CBI, ECC and ESC undefined"
    assert t[["cbi", "ecc", "esc"]].iloc[1:3].isna().all().all()
    # R = units 0, 2, 3 (CE known): CE 100, CS 52, G 1000
    np.testing.assert_allclose(t.loc[[0, 3], "ecc"], [0.5 / 0.6, 0.4 / 0.4])
    np.testing.assert_allclose(t.loc[[0, 3], "esc"], [(20 / 52) / 0.6, (30 / 52) / 0.4])
    np.testing.assert_allclose(t["ce_mean_region_tco2"], 100 / 3)
    assert t.attrs["excluded"] == {"ce_missing": 1, "ce_not_positive": 1, "gdp_missing_or_negative": 0}
    g = balance_indices(table([1.0, 2.0], [1.0, 1.0], [1.0, np.nan]))
    assert np.isnan(g["ecc"][1]) and g["ecc"][0] == pytest.approx(1.0 / (1 / 3))  # G_R = 1 (the known GDP)
    assert g["note"][1] == "GDP missing or negative: ECC undefined" and np.isfinite(g["esc"][1])


def zone_table(**cols):
    n = len(next(iter(cols.values())))
    base = {"unit_id": [f"u{i}" for i in range(n)], "year": [2020] * n}
    names = {"ce": "ce_tco2", "cs": "cs_tco2", "ecc": "ecc", "esc": "esc", "cbi": "cbi",
             "ce_mean": "ce_mean_region_tco2"}
    return pd.DataFrame(base | {names[k]: v for k, v in cols.items()})


def test_fan2024_zones_and_ties_on_the_greater_side():
    t = zone_table(ce=[1, 2, 2, 2, 2, 1, 1, 2], cs=[2, 1, 1, 1, 1, 1, 2, 1],
                   esc=[1.5, 1.2, 1.2, 0.5, 0.5, 1.0, 0.9, 1.0], ecc=[0.1, 1.2, 0.8, 1.2, 0.8, 5, 1, 1.0])
    z = classify(t, "fan2024", PRESETS["fan2024"]).tolist()
    assert z == ["carbon sink functional", "low-carbon economic", "low-carbon optimisation",
                 "carbon intensity control", "high-carbon optimisation",
                 "carbon sink functional",  # CS = CE and ESC = 1: both ties to the >= side
                 UNCLASSIFIED,  # CS > CE but ESC < 1: no zone of the scheme
                 "low-carbon economic"]  # ESC = ECC = 1 exactly


def test_peng2023_zones_with_q_at_one():
    t = zone_table(ce=[1, 2, 2, 2, 2, 2], cs=[1, 1, 1, 1, 1, 0],
                   ecc=[3, 1.0, 0.5, 0.5, 1.0, 1.0], esc=[3, 0.5, 0.5, 1.0, 1.0, 0.2])
    z = classify(t, "peng2023", PRESETS["peng2023"]).tolist()
    assert z == ["carbon sink", "high-carbon control", "high-carbon optimisation", "low-carbon development",
                 "low-carbon economic", "high-carbon control"]  # Q = 1 is a sink; CS = 0 is Q > 1


def test_jiangxi2024_zones_in_order():
    t = zone_table(ce=[5, 9, 9, 3, 3, 5], cs=[1] * 6, ce_mean=[6] * 6,
                   esc=[1.8, 0.5, 0.5, 0.5, 1.2, 0.99], ecc=[0.1, 1.0, 1.0, 1.5, 1.2, 1.0])
    t.loc[2, "ce_tco2"] = 6  # CE exactly at the mean -> the >= side
    z = classify(t, "jiangxi2024", PRESETS["jiangxi2024"]).tolist()
    assert z == ["carbon sink functional", "total carbon control", "total carbon control",
                 "low-carbon optimisation", "low-carbon optimisation", "low-carbon optimisation"]
    t2 = zone_table(ce=[5.0], cs=[1.0], ce_mean=[6.0], esc=[1.0], ecc=[0.7])
    assert classify(t2, "jiangxi2024", PRESETS["jiangxi2024"]).tolist() == ["carbon intensity control"]


def test_custom_scheme_and_unknown_quantity():
    custom = {"simple": [{"zone": "sink", "when": [["cb", "<", 0]]}, {"zone": "source", "when": []}]}
    schemes = schemes_from_config(["simple", "fan2024"], custom)
    t = zone_table(ce=[1.0, 3.0], cs=[2.0, 1.0], ecc=[1, 1], esc=[1, 1]).assign(cb_tco2=[-1.0, 2.0])
    assert classify(t, "simple", schemes["simple"]).tolist() == ["sink", "source"]
    with pytest.raises(ConfigError, match=r"zoning scheme 'bad', zone 'x': unknown quantity 'gdp'"):
        schemes_from_config(["bad"], {"bad": [{"zone": "x", "when": [["gdp", ">", 1]]}]})
    with pytest.raises(ConfigError, match="neither a preset"):
        schemes_from_config(["nope"])


# ------------------------------------------------------------------------- LMDI

def test_log_mean():
    assert log_mean(2.0, 2.0) == 2.0
    assert log_mean(np.e, 1.0) == pytest.approx(np.e - 1.0, rel=1e-15)


def test_lmdi_by_hand():
    # C doubles, everything else fixed: all change is technology (C/G)
    d = decompose(10, 5, 2, 4, 20, 20, 5, 2, 4, 20).iloc[0]
    assert d["q0"] == 0.5 and d["qT"] == 1.0 and d["technology_effect"] == pytest.approx(0.5, rel=1e-14)
    assert d[["economic_level_effect", "urbanisation_effect", "fixation_pressure_effect"]].abs().max() < 1e-15


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(1e-3, 1e6), min_size=10, max_size=10))
def test_lmdi_effects_sum_to_the_change(v):
    d = decompose(*v).iloc[0]
    total = sum(d[f"{e}_effect"] for e in EFFECTS)
    assert d["reason"] == ""
    assert abs(total - d["dq"]) <= 1e-10 * max(abs(d["dq"]), abs(d["q0"]), abs(d["qT"]))


def test_lmdi_zero_values_and_undecomposable_units():
    d = decompose([0, 10, 0, 5, 5], [5] * 5, [2] * 5, [4] * 5, [20, 20, 20, 0, 20],
                  [10, 0, 0, 5, 5], [5] * 5, [2] * 5, [4] * 5, [20, 20, 20, 20, -1])
    assert d.loc[0, "technology_effect"] == pytest.approx(0.5) and d.loc[0, "dq"] == pytest.approx(0.5)
    assert d.loc[1, "technology_effect"] == pytest.approx(-0.5)
    assert (d.loc[2, [f"{e}_effect" for e in EFFECTS]] == 0).all() and d.loc[2, "dq"] == 0
    for k in range(3):
        assert d.loc[k, [f"{e}_effect" for e in EFFECTS]].sum() == pytest.approx(d.loc[k, "dq"], abs=1e-15)
        assert d.loc[k, "reason"] == ""
    assert d.loc[3, "reason"] == "year 0: sequestration N <= 0 or missing" and np.isnan(d.loc[3, "dq"])
    assert d.loc[4, "reason"] == "year T: sequestration N <= 0 or missing"


def test_lmdi_table_per_unit_and_region():
    panel = pd.DataFrame({"unit_id": ["a", "b"] * 2, "year": [2019, 2019, 2021, 2021],
                          "c": [10.0, 20, 12, 18], "g": [5.0, 8, 6, 9], "p": [2.0, 3, 2, 3],
                          "s": [4.0, 6, 4, 6], "n": [20.0, 10, 18, 11]})
    t = lmdi_table(panel, [(2019, 2021)])
    assert t["unit_id"].tolist() == ["a", "b", "region"]
    reg = t.set_index("unit_id").loc["region"]
    assert reg["q0"] == pytest.approx(30 / 30) and reg["qT"] == pytest.approx(30 / 29)
    sums = t[[f"{e}_effect" for e in EFFECTS]].sum(axis=1)
    np.testing.assert_allclose(sums, t["dq"], rtol=1e-10)


# ------------------------------------------------------------------ compensation

def test_compensation_on_four_units_by_hand():
    from carbonbalance.budget.params import CompensationParams
    from carbonbalance.budget.compensation import compensation

    t0 = pd.DataFrame({"ce_tco2": [100.0, 200, 50, 150], "gdp_1e4yuan": [10.0, 20, 10, 10]}, index=list("abcd"))
    t1 = pd.DataFrame({"ce_tco2": [110.0, 180, 60, 150], "gdp_1e4yuan": [11.0, 24, 10, 15],
                       "ca_tco2": [10.0, 20, 70, 0], "ecc": [0.5, 1.2, 1.0, 0.8],
                       "engel_coefficient": [0.3, 0.3, 0.4, 0.35]}, index=list("abcd"))
    t1.index.name = "unit_id"
    p = CompensationParams.from_config({"price_min_yuan_per_t": 20, "price_max_yuan_per_t": 80,
                                        "exchange_rate_yuan_per_usd": 7.0, "gdp_pc_ratio": 1.2})
    assert p.alpha == 82.5  # 1/4 (80 + 20 + 70 + 105) x 1.2
    out = compensation(t0, t1.rename(columns={"ce_tco2": "ce_tco2"}), p, 100.0).set_index("unit_id")
    np.testing.assert_allclose(out["l_tco2"], [100, 160, -10, 150])
    np.testing.assert_allclose(out["p_tco2"], [50, 120, 100, 80])
    # g0 = 10, 10, 5, 15; g1 = 10, 7.5, 6, 10; regional g 10 -> 500/60
    np.testing.assert_allclose(out["temporal_factor"], [1.2, 0.9, 1.44, 0.8], rtol=1e-12)
    np.testing.assert_allclose(out["spatial_factor"], np.array([10, 7.5, 6, 10]) / 8.375, rtol=1e-12)
    c_rev = np.array([110 * 1.2 * 10, 180 * 0.9 * 7.5, 60 * 1.44 * 6, 150 * 0.8 * 10]) / 8.375
    np.testing.assert_allclose(out["c_revised_tco2"], c_rev, rtol=1e-12)
    l_rev = c_rev - np.array([10, 20, 70, 0]) - np.array([50, 120, 100, 80])
    np.testing.assert_allclose(out["l_revised_tco2"], l_rev, rtol=1e-12)
    gamma = np.array([11, 24, 10, 15]) / 60 / (1 + np.exp(-np.array([0.3, 0.3, 0.4, 0.35])))
    np.testing.assert_allclose(out["gamma"], gamma, rtol=1e-12)
    np.testing.assert_allclose(out["m_1e4yuan"], l_rev * 82.5 * gamma / 1e4, rtol=1e-12)
    # payers a, b, d: break at their median M (d); c receives
    assert out["class"].tolist() == ["high payer", "low payer", "receiver", "low payer"]
    v = compensation(t0, t1, CompensationParams.from_config({"threshold": "ecc_minus_one", "intensity": "temporal",
                                                             "revised_base": "without_absorption",
                                                             "engel": "inverse"}), 100.0).set_index("unit_id")
    np.testing.assert_allclose(v["p_tco2"], [-50, 20, 0, -20])
    np.testing.assert_allclose(v["l_revised_tco2"], np.array([110 * 1.2, 180 * 0.9, 60 * 1.44, 150 * 0.8])
                               - np.array([-50, 20, 0, -20]), rtol=1e-12)
    en = np.array([0.3, 0.3, 0.4, 0.35])
    np.testing.assert_allclose(v["gamma"], np.array([11, 24, 10, 15]) / 60 / (1 + np.exp(-(1 / en - 3))))
    # a unit without a value a step needs gets no compensation, with the reason; the others are unchanged
    gap = compensation(t0, t1.assign(engel_coefficient=[0.3, np.nan, 0.4, 0.35]), p, 100.0).set_index("unit_id")
    assert gap.loc["b", "class"] == "not computed" and gap.loc["b", "reason"] == "Engel coefficient missing"
    assert np.isnan(gap.loc["b", "m_1e4yuan"])
    with pytest.raises(InputError, match="no column 'ecc' for the end year"):
        compensation(t0, t1.drop(columns="ecc"), p, 100.0)
    with pytest.raises(ConfigError, match="tables.compensation.intensity"):
        CompensationParams.from_config({"intensity": "spatial"})


# ------------------------------------------------------------------ the tables stage

def _stage_inputs():
    zonal = pd.DataFrame({"unit_id": ["a", "b", "c"] * 2, "name": list("ABC") * 2,
                          "province_id": ["P", "P", "Q"] * 2, "year": [2019] * 3 + [2020] * 3,
                          "emissions_tco2": [10.0, 20, 30, 12, 18, 33], "sequestration_tco2": [5.0, 40, 3, 6, 38, 2],
                          "nep_tc": [1.0, 10, 1, 1, 10, 1], "npp_tc": [2.0, 20, 2, 2, 20, 2],
                          "area_km2": [100.0, 200, 150] * 2})
    stats = pd.DataFrame({"unit_id": ["a", "b", "c"] * 2, "level": "county", "year": [2019] * 3 + [2020] * 3,
                          "co2_tco2": [11.0, 21, 31, 13, 19, 34], "gdp_1e4yuan": [5.0, 10, 20, 6, 11, 22],
                          "population_persons": [1e4, 2e4, 3e4] * 2, "engel_coefficient": [0.3] * 6})
    absorption = pd.DataFrame({"unit_id": ["a", "b", "c"] * 2, "level": "county", "year": [2019] * 3 + [2020] * 3,
                               "absorption_tco2": [1.0, 2, 3, 1, 2, 3]})
    return zonal, stats, absorption


@pytest.mark.parametrize("ce_source, cs_source, ce, cs", [
    ("grid", "casa", [10, 20, 30], [5, 40, 3]),
    ("statistics", "nep", [11, 21, 31], [44 / 12, 440 / 12, 44 / 12]),
    ("grid", "npp_peng2023", [10, 20, 30], [2 * 1.62 / 0.45, 20 * 1.62 / 0.45, 2 * 1.62 / 0.45]),
    ("grid", "landuse", [10, 20, 30], [1, 2, 3]),
])
def test_tables_sources(ce_source, cs_source, ce, cs):
    from carbonbalance.budget.stage import run_tables

    zonal, stats, absorption = _stage_inputs()
    cfg = {"emission_source": ce_source, "sequestration_source": cs_source}
    out = run_tables("county", ("province", "province_id"), zonal, stats, None, absorption, cfg, [2019, 2020])
    b = out["budget"][out["budget"]["year"] == 2019]
    np.testing.assert_allclose(b["ce_tco2"], ce, rtol=1e-12)
    np.testing.assert_allclose(b["cs_tco2"], cs, rtol=1e-12)
    assert out["record"]["emission_source"] == ce_source and out["record"]["sequestration_source"] == cs_source
    assert len(out["compensation"]) == 3 and set(out["lmdi"]["unit_id"]) == {"a", "b", "c", "region"}


def test_tables_reference_parent_and_bad_source():
    from carbonbalance.budget.stage import run_tables

    zonal, stats, absorption = _stage_inputs()
    out = run_tables("county", ("province", "province_id"), zonal, stats, None, absorption, {"reference": "parent"},
                     [2019, 2020])
    b = out["budget"].set_index(["unit_id", "year"])
    assert b.loc[("c", 2019), "ecc"] == pytest.approx(1.0) and b.loc[("c", 2019), "esc"] == pytest.approx(1.0)
    assert b.loc[("a", 2019), "ecc"] == pytest.approx((5 / 15) / (10 / 30))
    assert out["record"]["reference"] == "province_id"
    with pytest.raises(ConfigError, match="tables.emission_source"):
        run_tables("county", None, zonal, stats, None, absorption, {"emission_source": "cead"}, [2019])
    out = run_tables("county", None, zonal, stats.assign(gdp_1e4yuan=[5.0, np.nan, 20, 6, 11, 22]), None,
                     absorption, {}, [2019, 2020])
    assert out["budget"].set_index(["unit_id", "year"]).loc[("b", 2019), "note"] == \
        "GDP missing or negative: ECC undefined"
    comp = out["compensation"].set_index("unit_id")
    assert comp.loc["b", "class"] == "not computed" and comp.loc["b", "reason"] == "GDP missing or <= 0"


# ------------------------------------------------------------------ reporting mass unit (Jiangxi2024)

def _jiangxi():
    """Three cities of one province whose totals are Jiangxi's in 2020: 98.085 Mt standard coal,
    45.19 M persons (Jiangxi2024: Ce 183.42, Cp 3.57, Cz 186.99 Mt C)."""
    cities = ["c1", "c2", "c3"]
    rows = []
    for year, f in ((2019, 0.97), (2020, 1.0)):
        for c, e_share, pop, gdp in zip(cities, (0.5, 0.3, 0.2), (20e6, 15e6, 10.19e6), (1.2e8, 0.8e8, 0.6e8)):
            rows.append({"unit_id": c, "level": "city", "year": year, "energy_tce": 98.085e6 * e_share * f,
                         "population_persons": pop, "gdp_1e4yuan": gdp * f, "engel_coefficient": 0.30})
        rows.append({"unit_id": "360000", "level": "province", "year": year, "energy_tce": 98.085e6 * f,
                     "population_persons": 45.19e6, "gdp_1e4yuan": 2.6e8 * f, "engel_coefficient": 0.28})
    stats = pd.DataFrame(rows)
    zonal = []
    for lvl, ids, parent in (("city", cities, "360000"), ("province", ["360000"], None)):
        for year in (2019, 2020):
            for k, u in enumerate(ids):
                zonal.append({"unit_id": u, "name": u.upper(), "year": year, "area_km2": 5e4 / len(ids),
                              "emissions_tco2": 1e6, "sequestration_tco2": 2e6, "nep_tc": 1e5, "npp_tc": 2e5,
                              **({"province_id": parent} if parent else {}), "level": lvl})
    zonal = pd.DataFrame(zonal)
    absorption = pd.DataFrame([{"unit_id": u, "level": lvl, "year": y, "absorption_tc": 4e6 * (k + 1),
                                "absorption_tco2": 4e6 * (k + 1) * 44 / 12}
                               for lvl, ids in (("city", cities), ("province", ["360000"]))
                               for k, u in enumerate(ids) for y in (2019, 2020)])
    cfg = {"emission_source": "energy", "sequestration_source": "landuse", "mass_unit": "t C",
           "reference": "parent", "zoning": {"schemes": ["jiangxi2024"]},
           "compensation": {"engel_source": "reference"}}
    return stats, zonal, absorption, cfg


def test_jiangxi2024_in_t_c_reproduces_the_papers_2020_numbers():
    from carbonbalance.emissions.accounting import energy_accounting
    from carbonbalance.budget.stage import run_tables

    stats, zonal, absorption, cfg = _jiangxi()
    energy = energy_accounting(stats)
    prov20 = energy[(energy["level"] == "province") & (energy["year"] == 2020)].iloc[0]
    assert (prov20["energy_emission_tc"] / 1e6, prov20["respiration_emission_tc"] / 1e6,
            prov20["emission_tc"] / 1e6) == pytest.approx((183.42, 3.57, 186.99), abs=0.005)
    assert energy.attrs["sigma_check"]["plausible"] is False  # 1.87 t C per t standard coal: warned
    out = {}
    for unit in ("t C", "t CO2"):
        for lvl, parent in (("province", None), ("city", ("province", "province_id"))):
            z = zonal[zonal["level"] == lvl].drop(columns="level")
            out[unit, lvl] = run_tables(lvl, parent, z, stats, energy, absorption, {**cfg, "mass_unit": unit},
                                        [2019, 2020])
    prov = out["t C", "province"]["budget"].set_index("year")
    assert prov.loc[2020, "ce_tc"] / 1e6 == pytest.approx(186.99, abs=0.005)  # Cz in the paper's own unit
    city = out["t C", "city"]["budget"]
    assert city.loc[city["year"] == 2020, "ce_tc"].sum() / 1e6 == pytest.approx(186.99, abs=0.005)
    for key in ("budget", "compensation"):
        tc, tco2 = out["t C", "city"][key], out["t CO2", "city"][key]
        mass = [c for c in tc.columns if "_tc" in c and not c.startswith("alpha_yuan_per_")]
        assert not [c for c in tc.columns if "tco2" in c] and len(mass) >= (5 if key == "budget" else 8), mass
        for col in mass:  # every mass column is the t CO2 one times 12/44 (C and CO2 never mix)
            np.testing.assert_allclose(tc[col], tco2[col.replace("_tc", "_tco2")] * 12 / 44, rtol=1e-12)
        for col in [c for c in tc.columns if c in ("cbi", "ecc", "esc", "zone_jiangxi2024", "class", "k", "gamma")]:
            assert tc[col].equals(tco2[col]) or np.allclose(tc[col], tco2[col], rtol=1e-12)
    comp = out["t C", "city"]["compensation"]
    # the carbon price is read per t of the reporting unit, as the paper applies it to t C
    assert (comp["alpha_yuan_per_tc"] == out["t CO2", "city"]["compensation"]["alpha_yuan_per_tco2"]).all()
    np.testing.assert_allclose(comp["m_1e4yuan"], out["t CO2", "city"]["compensation"]["m_1e4yuan"] * 12 / 44,
                               rtol=1e-12)
    assert (comp["engel_coefficient_used"] == 0.28).all()  # one provincial value, as the paper
    rec = out["t C", "city"]["record"]
    assert rec["mass_unit"] == "t C" and rec["compensation"]["engel_reference"] == {"2020": "province statistics"}


def test_sigma_outside_the_plausible_range_of_its_unit_is_warned(caplog):
    from carbonbalance.emissions.accounting import sigma_check

    assert sigma_check(0.68, "t C per t standard coal")["plausible"]
    assert sigma_check(1.87, "t CO2 per t standard coal")["plausible"]  # ≈ 0.51 t C: gas-heavy, plausible
    rec = sigma_check(1.87, "t C per t standard coal")
    assert not rec["plausible"] and "outside the physically plausible range 0.40-0.80" in rec["warning"]
    assert "emissions.energy.sigma" in caplog.text


# ------------------------------------------------------------------ compensation choices

def _two_regions():
    t0 = pd.DataFrame({"ce_tco2": [100.0, 200, 50, 150], "gdp_1e4yuan": [10.0, 20, 10, 10]}, index=list("abcd"))
    t1 = pd.DataFrame({"ce_tco2": [110.0, 180, 60, 150], "gdp_1e4yuan": [11.0, 24, 10, 15],
                       "ca_tco2": [10.0, 20, 70, 0], "ecc": [0.5, 1.2, 1.0, 0.8],
                       "engel_coefficient": [0.3, 0.3, 0.4, 0.35]}, index=list("abcd"))
    t0.index.name = t1.index.name = "unit_id"
    return t0, t1, pd.Series(["P", "P", "Q", "Q"], index=list("abcd"))


def test_compensation_per_parent_region_equals_each_region_alone():
    """With reference: parent, g_R, K, mean g and D are per parent: the whole level computed
    with regions equals each region computed on its own."""
    from carbonbalance.budget.params import CompensationParams
    from carbonbalance.budget.compensation import compensation

    t0, t1, region = _two_regions()
    p = CompensationParams.from_config({"high_payer_break": 1e9})  # all payers low: the class does not pool
    d = pd.Series({"P": 150.0, "Q": 90.0})
    both = compensation(t0, t1, p, region.map(d), region=region).set_index("unit_id")
    for r, units in (("P", ["a", "b"]), ("Q", ["c", "d"])):
        alone = compensation(t0.loc[units], t1.loc[units], p, d[r]).set_index("unit_id")
        cols = [c for c in alone.columns if c not in ("region",)]
        pd.testing.assert_frame_equal(both.loc[units, cols], alone[cols], check_exact=False, rtol=1e-12)
    assert both.loc["a", "k"] == pytest.approx(11 / 35) and both.loc["c", "k"] == pytest.approx(10 / 25)
    assert both.loc["a", "p_tco2"] == pytest.approx(0.5 * 150.0)


def test_payer_break_median_mean_or_number():
    from carbonbalance.budget.params import CompensationParams
    from carbonbalance.budget.compensation import compensation

    t0, t1, _ = _two_regions()
    m = compensation(t0, t1, CompensationParams(), 100.0).set_index("unit_id")["m_1e4yuan"]
    payers = m[m > 0]
    for brk, value in (("median", payers.median()), ("mean", payers.mean()), (0.5, 0.5)):
        c = compensation(t0, t1, CompensationParams.from_config({"high_payer_break": brk}), 100.0)
        c = c.set_index("unit_id")
        assert c["high_payer_break_1e4yuan"].iloc[0] == pytest.approx(value)
        want = np.where(m <= 0, "receiver", np.where(m > value, "high payer", "low payer"))
        assert c["class"].tolist() == want.tolist()
    with pytest.raises(ConfigError, match="high_payer_break"):
        CompensationParams.from_config({"high_payer_break": "mode"})


def test_d_years_and_reference_engel_in_the_tables_stage():
    from carbonbalance.budget.stage import run_tables

    zonal, stats, absorption = _stage_inputs()
    base = {"reference": "parent", "compensation": {"d_years": [2019]}}
    out = run_tables("county", ("province", "province_id"), zonal, stats, None, absorption, base, [2019, 2020])
    comp = out["compensation"].set_index("unit_id")
    # D per province over 2019 only: P = mean(10, 20), Q = 30
    assert comp.loc["a", "d_tco2"] == pytest.approx(15.0) and comp.loc["c", "d_tco2"] == pytest.approx(30.0)
    assert out["record"]["compensation"]["d_years"] == [2019]
    with pytest.raises(ConfigError, match=r"d_years: \[2018\] are not years of the run"):
        run_tables("county", None, zonal, stats, None, absorption, {"compensation": {"d_years": [2018]}},
                   [2019, 2020])
    # no province rows in the statistics: the reference Engel is the population-weighted mean
    stats = stats.assign(engel_coefficient=[0.2, 0.5, 0.4] * 2)
    out = run_tables("county", ("province", "province_id"), zonal, stats, None, absorption,
                     {"reference": "parent", "compensation": {"engel_source": "reference"}}, [2019, 2020])
    comp = out["compensation"].set_index("unit_id")
    assert comp.loc["a", "engel_coefficient_used"] == pytest.approx((0.2 * 1e4 + 0.5 * 2e4) / 3e4)
    assert comp.loc["c", "engel_coefficient_used"] == pytest.approx(0.4)
    assert out["record"]["compensation"]["engel_reference"]["2020"] == "population-weighted mean of the units"
