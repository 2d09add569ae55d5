"""The emissions stage on stores in both assignment modes: Peng2023 county shares, multisource
categories, bad totals and shares."""

import numpy as np
import pandas as pd
import pytest
import rasterio

from carbonbalance.core.assignment import (
    level_lookup,
    read_coverage,
    relabel,
)
from carbonbalance.emissions.params import EmissionParams
from carbonbalance.emissions.stage import run_emissions_year
from carbonbalance.errors import InputError
from carbonbalance.zonal.engine import zonal_sums

LANDUSE_CLASSES = {
    "11": "rural",
    "21": "rural",
    "41": "rural",
    "51": "urban",
    "52": "rural",
    "53": "industrial",
    "61": "none",
}


def _run(world, cfg, stats=None, name="out", mode="centre"):
    params = EmissionParams.from_config(cfg)
    keys = ["total"] + (["urban", "industrial", "rural"] if params.method == "multisource" else [])
    outputs = {k: world["tmp"] / name / f"emissions_{k}.tif" for k in keys}
    outputs["units"] = world["tmp"] / name / "emissions.parquet"
    p = world["paths"]
    paths = {"light": p["nightlight"], "population": p["population"], "area": p["cell_area"], "landuse": p["landuse"]}
    units = pd.DataFrame(world["gdf"].drop(columns="geometry"))
    rec = run_emissions_year(
        paths,
        world["grid"],
        params,
        world["stats"] if stats is None else stats,
        units,
        p["assignment"],
        2020,
        outputs,
        mode=mode,
        landuse_classes=LANDUSE_CLASSES,
        threads=2,
    )
    grids = {}
    for k, path in outputs.items():
        if k == "units":
            continue
        with rasterio.open(path) as src:
            assert src.dtypes[0] == "float64" and src.tags(1)["units"] == "t CO2 per cell"
            assert src.tags()["method"] == params.method and src.tags()["assignment"] == mode
            grids[k] = src.read(1)
    rec["table"] = pd.read_parquet(outputs["units"]).set_index("unit_id")
    return grids, rec, outputs


def _labels(world, level):
    """Centre labels (with the borrowed cell) of ``level`` and the level's unit ids."""
    cov = read_coverage(world["paths"]["assignment"])
    units = pd.DataFrame(world["gdf"].drop(columns="geometry"))
    lookup, ids = level_lookup(units, "county_id", world["levels"][level], cov.unit_ids)
    return relabel(cov.centre, lookup), ids


def test_assignment_gives_tiny_units_a_cell_and_nests(world):
    rec = world["labels_record"]
    assert rec["units_without_cell_centre"] == ["E2"] and list(rec["units_at_borrowed_cell"]) == ["E2"]
    assert rec["units_at_borrowed_cell"]["E2"]["taken_from"] == "E0"
    assert rec["units_at_borrowed_cell"]["E2"]["fraction"] == pytest.approx(0.09, rel=1e-6)  # exactextract: float32
    county, cids = _labels(world, "county")
    province, pids = _labels(world, "province")
    assert (county == cids.index("E2")).sum() == 1
    assert county.dtype == np.int16 and (county >= 0).all()
    for c, cid in enumerate(cids):  # every county's cells lie in its one province
        parent = world["gdf"].set_index("county_id").loc[cid, "province_id"]
        assert set(np.unique(province[county == c])) == {pids.index(parent)}


@pytest.mark.parametrize("mode", ["centre", "exact"])
def test_nightlight_stage_conserves_totals_and_gives_peng2023_county_shares(world, mode):
    grids, rec, _ = _run(world, {"method": "nightlight"}, mode=mode)
    total, table = grids["total"], rec["table"]
    cov = read_coverage(world["paths"]["assignment"])
    ids = np.array(cov.unit_ids)
    province_of = world["gdf"].set_index("county_id").loc[ids, "province_id"].to_numpy()
    # DN_it summed over the county's cells (pieces weighted by their covered fraction)
    light, _ = zonal_sums(cov, np.nan_to_num(world["light"]).astype("float64"), mode)
    for pid, t in {"W": 3.0e6, "E": 5.0e6}.items():
        mine = province_of == pid
        # Peng2023: C_it = C_t · DN_it / Σ_j DN_jt, and the counties add up to the total
        np.testing.assert_allclose(
            table.loc[ids[mine], "emissions_tco2"], t * light[mine] / light[mine].sum(), rtol=1e-9
        )
        assert table.loc[ids[mine], "emissions_tco2"].sum() == pytest.approx(t, rel=1e-12)
    assert total.sum() == pytest.approx(8.0e6, rel=1e-12)
    assert rec["max_relative_error_of_unit_sums"] < 1e-12 and rec["n_fallback_units"] == 0
    assert np.all(total >= 0) and total[5, 5] == 0
    assert table.loc["E1", "emissions_tco2"] == 0  # dark county: nothing at province level
    assert table.loc["E2", "emissions_tco2"] > 0  # the tiny district keeps its share in both modes
    county, cids = _labels(world, "county")
    if mode == "centre":  # the grid summed by the labels is the table
        for c, cid in enumerate(cids):
            assert total[county == c].sum() == pytest.approx(table.loc[cid, "emissions_tco2"], rel=1e-12)
    else:  # the cell shared by E0 and E2 holds both parts; the tiny district gets its share f of the cell
        cell = world["labels_record"]["units_at_borrowed_cell"]["E2"]
        dn, f = float(world["light"][cell["row"], cell["col"]]), cell["fraction"]
        per_dn = 5.0e6 / light[province_of == "E"].sum()
        assert table.loc["E2", "emissions_tco2"] == pytest.approx(per_dn * f * dn, rel=1e-9)
        assert total[cell["row"], cell["col"]] == pytest.approx(per_dn * dn, rel=1e-6)  # fractions: float32


def test_county_totals_fall_back_to_population_for_the_dark_county(world):
    grids, rec, _ = _run(world, {"method": "nightlight", "totals_level": "county"})
    county, cids = _labels(world, "county")
    assert rec["fallback_units"] == {"E1": {"total": "population"}}
    assert rec["weight_used"]["total"] == {"light": 5, "population": 1, "area": 0}
    e1 = county == cids.index("E1")
    expected = 2.5e6 * world["pop"][e1].astype("float64") / world["pop"][e1].sum(dtype="float64")
    np.testing.assert_allclose(grids["total"][e1], expected, rtol=1e-12)
    for c, cid in enumerate(cids):
        want = world["stats"].set_index("unit_id").loc[cid, "co2_tco2"]
        assert grids["total"][county == c].sum() == pytest.approx(want, rel=1e-9)


def test_multisource_categories_stay_on_their_land_and_sum_to_the_shares(world):
    cfg = {"method": "multisource", "shares": {"values": {"urban": 0.3, "industrial": 0.6, "rural": 0.1}}}
    grids, rec, _ = _run(world, cfg)
    province, pids = _labels(world, "province")
    np.testing.assert_allclose(grids["total"], grids["urban"] + grids["industrial"] + grids["rural"], rtol=1e-12)
    lu = world["landuse"]
    for p, pid in enumerate(pids):
        t = {"W": 3.0e6, "E": 5.0e6}[pid]
        for k, share in (("urban", 0.3), ("industrial", 0.6), ("rural", 0.1)):
            assert grids[k][province == p].sum() == pytest.approx(t * share, rel=1e-9)
    assert np.all(grids["urban"][lu != 51] == 0) and np.all(grids["industrial"][lu != 53] == 0)
    rural = np.isin(lu, [11, 21, 41, 52])
    assert np.all(grids["rural"][~rural] == 0)
    # the rural part follows population, not light
    r = (province == pids.index("W")) & rural
    np.testing.assert_allclose(
        grids["rural"][r], 0.3e6 * world["pop"][r].astype("float64") / world["pop"][r].sum(dtype="float64"), rtol=1e-9
    )
    assert rec["allocated_by_category_tco2"]["industrial"] == pytest.approx(0.6 * 8e6, rel=1e-12)


def test_multisource_shares_from_statistics_must_sum_to_one(world):
    stats = world["stats"].assign(share_urban=0.2, share_industrial=0.7, share_rural=0.1)
    cfg = {"method": "multisource", "shares": {"source": "statistics"}}
    grids, _, _ = _run(world, cfg, stats=stats, name="ok")
    assert grids["urban"].sum() == pytest.approx(0.2 * 8e6, rel=1e-9)
    stats.loc[stats["unit_id"] == "E", "share_rural"] = 0.3
    with pytest.raises(InputError, match=r"do not sum to 1 for unit E 2020 \(sum 1.2\)"):
        _run(world, cfg, stats=stats, name="bad")
    assert not (world["tmp"] / "bad").exists() or not any((world["tmp"] / "bad").iterdir())
    with pytest.raises(InputError, match="do not sum to 1 for .*emissions.shares.values"):
        EmissionParams.from_config(
            {"method": "multisource", "shares": {"values": {"urban": 0.5, "industrial": 0.6, "rural": 0.1}}}
        )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda s: pd.concat(
                [s, pd.DataFrame({"unit_id": ["N"], "level": ["province"], "year": [2020], "co2_tco2": [1.0]})]
            ),
            r"given for province unit\(s\) \['N'\] that are not in the boundaries",
        ),
        (lambda s: s[s["unit_id"] != "E"], r"no co2_tco2 2020 for province unit\(s\) \['E'\]"),
        (
            lambda s: s.assign(co2_tco2=np.where(s["unit_id"] == "W", -5.0, s["co2_tco2"])),
            r"negative co2_tco2 2020 for province unit\(s\) W \(-5\)",
        ),
    ],
)
def test_bad_totals_name_the_unit_and_write_nothing(world, change, message):
    with pytest.raises(InputError, match=message):
        _run(world, {"method": "nightlight"}, stats=change(world["stats"]), name="bad")
    out = world["tmp"] / "bad"
    assert not out.exists() or not any(out.iterdir())


def test_incomplete_totals_can_be_allowed(world):
    stats = world["stats"][world["stats"]["unit_id"] != "E"]
    grids, rec, _ = _run(world, {"method": "nightlight", "totals_complete": False}, stats=stats)
    province, pids = _labels(world, "province")
    assert rec["units_without_total"] == ["E"] and grids["total"][province == pids.index("E")].sum() == 0
