"""Jiangxi2024 accounting: energy (Ce, Cp, Cz and sigma's plausibility) and land-use absorption
on the run's assignment."""

import json

import numpy as np
import pandas as pd
import pytest

from carbonbalance.core.assignment import (
    read_coverage,
)
from carbonbalance.emissions.accounting import (
    ABSORPTION_CLASSES,
    absorption,
    absorption_table,
    energy_accounting,
    energy_emissions,
    landuse_areas,
)
from carbonbalance.emissions.params import EnergyParams
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.zonal.engine import zonal_sums


def test_sigma_outside_the_plausible_range_of_its_unit_is_warned(caplog):
    from carbonbalance.emissions.accounting import sigma_check

    assert sigma_check(0.68, "t C per t standard coal")["plausible"]
    assert sigma_check(1.87, "t CO2 per t standard coal")["plausible"]  # ≈ 0.51 t C: gas-heavy, plausible
    rec = sigma_check(1.87, "t C per t standard coal")
    assert not rec["plausible"] and "outside the physically plausible range 0.40-0.80" in rec["warning"]
    assert "emissions.energy.sigma" in caplog.text


def test_jiangxi2024_energy_accounting_arithmetic():
    r = energy_emissions(98.085e6, 45.19e6)  # t standard coal, persons; sigma 1.87, theta 0.079 t C
    assert r["energy_emission_tc"] / 1e6 == pytest.approx(183.42, abs=0.005)
    assert r["respiration_emission_tc"] / 1e6 == pytest.approx(3.57, abs=0.005)
    assert r["emission_tc"] / 1e6 == pytest.approx(186.99, abs=0.005)
    assert r["emission_tco2"] == pytest.approx(r["emission_tc"] * 44 / 12, rel=1e-15)
    co2 = energy_emissions(98.085e6, 0.0, sigma=1.87, sigma_unit="t CO2 per t standard coal")
    assert co2["energy_emission_tco2"] / 1e6 == pytest.approx(183.42, abs=0.005)  # a CO2 factor stays CO2
    with pytest.raises(ConfigError, match="sigma_unit"):
        energy_emissions(1.0, 1.0, sigma_unit="kg CO2 per kWh")


def test_energy_accounting_table_per_unit_and_year():
    stats = pd.DataFrame(
        {
            "unit_id": ["360000"],
            "level": ["province"],
            "year": [2020],
            "energy_tce": [98.085e6],
            "population_persons": [45.19e6],
        }
    )
    t = energy_accounting(stats, EnergyParams(sigma=1.87, theta_tc_per_person=0.079))
    assert t.loc[0, "emission_tc"] / 1e6 == pytest.approx(186.99, abs=0.005)
    with pytest.raises(InputError, match="energy_tce"):
        energy_accounting(stats.drop(columns="energy_tce"))


def test_jiangxi2024_land_use_change_absorption():
    change = {
        "forest": -150_045.6,
        "cultivated": -91_118.6,
        "grassland": 32_303.8,
        "water": 26_895.0,
        "unused": -16_343.0,
    }  # hm²
    assert absorption(change) / 1e6 == pytest.approx(-0.870, abs=0.0005)
    assert absorption(change) == pytest.approx(
        -150_045.6 * 5.77 - 91_118.6 * 0.13 + 32_303.8 * 0.022 + 26_895 * 0.253 - 16_343 * 0.005, rel=1e-12
    )
    with pytest.raises(ConfigError, match="unknown land-use class"):
        absorption({"wetland": 1.0})


@pytest.mark.parametrize("mode", ["centre", "exact"])
def test_landuse_areas_use_the_assignment_of_area_km2_and_levels_nest(world, mode):
    cov = read_coverage(world["paths"]["assignment"])
    attrs = {"unit_ids": cov.unit_ids}
    classes = {"11": "cultivated", "41": "water", "51": None, "53": None}
    area = np.full(world["grid"].shape, 1e6)
    lu = np.where(np.isnan(world["landuse"]), 51.0, world["landuse"])
    areas = landuse_areas(cov, mode, lu, area, classes, threads=2)
    if mode == "centre":
        lab = cov.centre
        for u in range(len(attrs["unit_ids"])):
            assert areas[u, ABSORPTION_CLASSES.index("cultivated")] == ((lab == u) & (lu == 11)).sum() * 100.0
            assert areas[u, ABSORPTION_CLASSES.index("water")] == ((lab == u) & (lu == 41)).sum() * 100.0
    # with every code in a class, the class areas add up to the zonal area of the same assignment
    every = {"11": "cultivated", "41": "water", "51": "unused", "53": "unused"}
    by_class = landuse_areas(cov, mode, lu, area, every)
    area_km2 = zonal_sums(cov, area, mode)[0] * 1e-6
    np.testing.assert_allclose(by_class.sum(axis=1), area_km2 * 100.0, rtol=1e-12)
    assert by_class[cov.unit_ids.index("E2")].sum() > 0  # the tiny district has land in both modes
    finest = world["gdf"].set_index("county_id").loc[attrs["unit_ids"]].reset_index()
    t = absorption_table(areas, finest, list(world["levels"].items()), year=2020)
    by = t.set_index(["level", "unit_id"])
    west = by.loc[[("county", c) for c in ("W0", "W1", "W2")], "absorption_tc"].sum()
    assert by.loc[("province", "W"), "absorption_tc"] == pytest.approx(west, rel=1e-12)
    cult = by.loc[("province", "W"), "area_cultivated_hm2"]
    assert by.loc[("province", "W"), "absorption_tc"] == pytest.approx(
        cult * 0.13 + by.loc[("province", "W"), "area_water_hm2"] * 0.253, rel=1e-12
    )
    with pytest.raises(InputError, match=r"class code\(s\) \[21, 52\]|class code\(s\) \[21\]"):
        landuse_areas(cov, mode, np.where(lu == 11, 21.0, lu), area, classes)
    json.dumps(t.to_dict("records"))  # plain types, ready for the tables stage
