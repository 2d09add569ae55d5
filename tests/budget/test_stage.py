"""The budget stage: sources, reference regions, reporting mass unit and compensation choices."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance.errors import ConfigError, InputError


def _stage_inputs():
    zonal = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"] * 2,
            "name": list("ABC") * 2,
            "province_id": ["P", "P", "Q"] * 2,
            "year": [2019] * 3 + [2020] * 3,
            "emissions_tco2": [10.0, 20, 30, 12, 18, 33],
            "sequestration_tco2": [5.0, 40, 3, 6, 38, 2],
            "nep_tc": [1.0, 10, 1, 1, 10, 1],
            "npp_tc": [2.0, 20, 2, 2, 20, 2],
            "npp_product_tc": [3.0, 15, 6, 3, 15, 6],
            "inventory_tco2": [9.0, 25, 28, 10, 24, 30],
            "area_km2": [100.0, 200, 150] * 2,
        }
    )
    stats = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"] * 2,
            "level": "county",
            "year": [2019] * 3 + [2020] * 3,
            "co2_tco2": [11.0, 21, 31, 13, 19, 34],
            "gdp_1e4yuan": [5.0, 10, 20, 6, 11, 22],
            "population_persons": [1e4, 2e4, 3e4] * 2,
            "engel_coefficient": [0.3] * 6,
        }
    )
    absorption = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"] * 2,
            "level": "county",
            "year": [2019] * 3 + [2020] * 3,
            "absorption_tco2": [1.0, 2, 3, 1, 2, 3],
        }
    )
    return zonal, stats, absorption


def _jiangxi():
    """Three cities of one province whose totals are Jiangxi's in 2020: 98.085 Mt standard coal,
    45.19 M persons (Jiangxi2024: Ce 183.42, Cp 3.57, Cz 186.99 Mt C)."""
    cities = ["c1", "c2", "c3"]
    rows = []
    for year, f in ((2019, 0.97), (2020, 1.0)):
        for c, e_share, pop, gdp in zip(cities, (0.5, 0.3, 0.2), (20e6, 15e6, 10.19e6), (1.2e8, 0.8e8, 0.6e8)):
            rows.append(
                {
                    "unit_id": c,
                    "level": "city",
                    "year": year,
                    "energy_tce": 98.085e6 * e_share * f,
                    "population_persons": pop,
                    "gdp_1e4yuan": gdp * f,
                    "engel_coefficient": 0.30,
                }
            )
        rows.append(
            {
                "unit_id": "360000",
                "level": "province",
                "year": year,
                "energy_tce": 98.085e6 * f,
                "population_persons": 45.19e6,
                "gdp_1e4yuan": 2.6e8 * f,
                "engel_coefficient": 0.28,
            }
        )
    stats = pd.DataFrame(rows)
    zonal = []
    for lvl, ids, parent in (("city", cities, "360000"), ("province", ["360000"], None)):
        for year in (2019, 2020):
            for u in ids:
                zonal.append(
                    {
                        "unit_id": u,
                        "name": u.upper(),
                        "year": year,
                        "area_km2": 5e4 / len(ids),
                        "emissions_tco2": 1e6,
                        "sequestration_tco2": 2e6,
                        "nep_tc": 1e5,
                        "npp_tc": 2e5,
                        **({"province_id": parent} if parent else {}),
                        "level": lvl,
                    }
                )
    zonal = pd.DataFrame(zonal)
    absorption = pd.DataFrame(
        [
            {
                "unit_id": u,
                "level": lvl,
                "year": y,
                "absorption_tc": 4e6 * (k + 1),
                "absorption_tco2": 4e6 * (k + 1) * 44 / 12,
            }
            for lvl, ids in (("city", cities), ("province", ["360000"]))
            for k, u in enumerate(ids)
            for y in (2019, 2020)
        ]
    )
    cfg = {
        "emission_source": "energy",
        "sequestration_source": "landuse",
        "mass_unit": "t C",
        "reference": "parent",
        "zoning": {"schemes": ["jiangxi2024"]},
        "compensation": {"engel_source": "reference"},
    }
    return stats, zonal, absorption, cfg


@pytest.mark.parametrize(
    "ce_source, cs_source, ce, cs",
    [
        ("grid", "casa", [10, 20, 30], [5, 40, 3]),
        ("statistics", "nep", [11, 21, 31], [44 / 12, 440 / 12, 44 / 12]),
        ("grid", "npp_peng2023", [10, 20, 30], [2 * 1.62 / 0.45, 20 * 1.62 / 0.45, 2 * 1.62 / 0.45]),
        ("grid", "landuse", [10, 20, 30], [1, 2, 3]),
        ("inventory", "npp_product", [9, 25, 28], [3 * 44 / 12, 15 * 44 / 12, 6 * 44 / 12]),
        ("inventory", "npp_product:peng2023", [9, 25, 28], [3 * 1.62 / 0.45, 15 * 1.62 / 0.45, 6 * 1.62 / 0.45]),
    ],
)
def test_tables_sources(ce_source, cs_source, ce, cs):
    from carbonbalance.budget.stage import run_tables

    zonal, stats, absorption = _stage_inputs()
    cs_source, _, factor = cs_source.partition(":")
    cfg = {"emission_source": ce_source, "sequestration_source": cs_source} | (
        {"npp_product_factor": factor} if factor else {}
    )
    out = run_tables("county", ("province", "province_id"), zonal, stats, None, absorption, cfg, [2019, 2020])
    b = out["budget"][out["budget"]["year"] == 2019]
    np.testing.assert_allclose(b["ce_tco2"], ce, rtol=1e-12)
    np.testing.assert_allclose(b["cs_tco2"], cs, rtol=1e-12)
    assert out["record"]["emission_source"] == ce_source and out["record"]["sequestration_source"] == cs_source
    assert len(out["compensation"]) == 3 and set(out["lmdi"]["unit_id"]) == {"a", "b", "c", "region"}


def test_tables_reference_parent_and_bad_source():
    from carbonbalance.budget.stage import run_tables

    zonal, stats, absorption = _stage_inputs()
    out = run_tables(
        "county", ("province", "province_id"), zonal, stats, None, absorption, {"reference": "parent"}, [2019, 2020]
    )
    b = out["budget"].set_index(["unit_id", "year"])
    assert b.loc[("c", 2019), "ecc"] == pytest.approx(1.0) and b.loc[("c", 2019), "esc"] == pytest.approx(1.0)
    assert b.loc[("a", 2019), "ecc"] == pytest.approx((5 / 15) / (10 / 30))
    assert out["record"]["reference"] == "province_id"
    with pytest.raises(ConfigError, match="tables.emission_source"):
        run_tables("county", None, zonal, stats, None, absorption, {"emission_source": "cead"}, [2019])
    with pytest.raises(InputError, match=r"emission source 'inventory': no column 'inventory_tco2'"):
        run_tables("county", None, zonal.drop(columns="inventory_tco2"), stats, None, absorption,
                   {"emission_source": "inventory"}, [2019])  # fmt: skip
    out = run_tables(
        "county",
        None,
        zonal,
        stats.assign(gdp_1e4yuan=[5.0, np.nan, 20, 6, 11, 22]),
        None,
        absorption,
        {},
        [2019, 2020],
    )
    assert (
        out["budget"].set_index(["unit_id", "year"]).loc[("b", 2019), "note"]
        == "GDP missing or negative: ECC undefined"
    )
    comp = out["compensation"].set_index("unit_id")
    assert comp.loc["b", "class"] == "not computed" and comp.loc["b", "reason"] == "GDP missing or <= 0"


def test_jiangxi2024_in_t_c_reproduces_the_papers_2020_numbers():
    from carbonbalance.budget.stage import run_tables
    from carbonbalance.emissions.accounting import energy_accounting

    stats, zonal, absorption, cfg = _jiangxi()
    energy = energy_accounting(stats)
    prov20 = energy[(energy["level"] == "province") & (energy["year"] == 2020)].iloc[0]
    assert (
        prov20["energy_emission_tc"] / 1e6,
        prov20["respiration_emission_tc"] / 1e6,
        prov20["emission_tc"] / 1e6,
    ) == pytest.approx((183.42, 3.57, 186.99), abs=0.005)
    assert energy.attrs["sigma_check"]["plausible"] is False  # 1.87 t C per t standard coal: warned
    out = {}
    for unit in ("t C", "t CO2"):
        for lvl, parent in (("province", None), ("city", ("province", "province_id"))):
            z = zonal[zonal["level"] == lvl].drop(columns="level")
            out[unit, lvl] = run_tables(
                lvl, parent, z, stats, energy, absorption, {**cfg, "mass_unit": unit}, [2019, 2020]
            )
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
    np.testing.assert_allclose(
        comp["m_1e4yuan"], out["t CO2", "city"]["compensation"]["m_1e4yuan"] * 12 / 44, rtol=1e-12
    )
    assert (comp["engel_coefficient_used"] == 0.28).all()  # one provincial value, as the paper
    rec = out["t C", "city"]["record"]
    assert rec["mass_unit"] == "t C" and rec["compensation"]["engel_reference"] == {"2020": "province statistics"}


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
        run_tables("county", None, zonal, stats, None, absorption, {"compensation": {"d_years": [2018]}}, [2019, 2020])
    # no province rows in the statistics: the reference Engel is the population-weighted mean
    stats = stats.assign(engel_coefficient=[0.2, 0.5, 0.4] * 2)
    out = run_tables(
        "county",
        ("province", "province_id"),
        zonal,
        stats,
        None,
        absorption,
        {"reference": "parent", "compensation": {"engel_source": "reference"}},
        [2019, 2020],
    )
    comp = out["compensation"].set_index("unit_id")
    assert comp.loc["a", "engel_coefficient_used"] == pytest.approx((0.2 * 1e4 + 0.5 * 2e4) / 3e4)
    assert comp.loc["c", "engel_coefficient_used"] == pytest.approx(0.4)
    assert out["record"]["compensation"]["engel_reference"]["2020"] == "population-weighted mean of the units"
