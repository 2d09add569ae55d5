"""The Snakemake workflow: dry runs, lint, config errors, an end-to-end run and reruns."""

import json
import re

import numpy as np
import pytest
import rasterio
import yaml
from conftest import ROOT, copy_workflow, snakemake
from helpers import TEST, planned_jobs

from carbonbalance.core.store import open_store

CONFIGS = [["config/demo.yaml"], TEST]


def failing_dry_run(tmp_path, overrides: str) -> str:
    """Dry run with ``overrides`` layered on the demo config; it must fail. Returns its output."""
    wf = copy_workflow(tmp_path)
    (wf / "override.yaml").write_text(overrides)
    proc = snakemake(wf, "-n", "--configfile", "config/demo.yaml", "override.yaml", check=False)
    assert proc.returncode != 0, proc.stdout
    return proc.stdout + proc.stderr


def check_analysis(wf):
    """Moran of the pipeline equals esda on the demo's counties; Dagum identity; hot-spot
    classes cover the grid; centre table and figures exist."""
    import geopandas as gpd
    import pandas as pd
    from esda.moran import Moran
    from libpysal.weights import Queen

    moran = pd.read_csv(wf / "results/test/analysis/county/moran.csv")
    budget = pd.read_parquet(wf / "results/test/tables/budget_county.parquet")
    units = gpd.read_file(wf / "results/test/boundaries/units.gpkg").dissolve(by="county_id").reset_index()
    w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    for i in w.islands:  # the island county, linked to its nearest county as the stage does
        d = units.geometry.distance(units.geometry.iloc[i])
        d.iloc[i] = np.inf
        j = int(d.idxmin())
        w.neighbors[i] = [j]
        w.neighbors[j] = w.neighbors[j] + [i]
    from libpysal.weights import W

    w = W({k: list(v) for k, v in w.neighbors.items()}, silence_warnings=True)
    w.transform = "r"
    y = budget[budget["year"] == 2020].set_index("unit_id")["ce_tco2"].reindex(units["county_id"]).to_numpy()
    row = moran[(moran["variable"] == "ce_tco2") & (moran["year"] == 2020)].iloc[0]
    m = Moran(y, w, permutations=0)
    assert row["I"] == pytest.approx(m.I, rel=1e-10) and row["z_rand"] == pytest.approx(m.z_rand, rel=1e-10)
    dagum = pd.read_csv(wf / "results/test/analysis/county/dagum.csv")
    np.testing.assert_allclose(dagum["within"] + dagum["between"] + dagum["transvariation"], dagum["total"], atol=1e-12)
    kde = pd.read_csv(wf / "results/test/analysis/county/kde.csv")
    ce = kde[kde["variable"] == "ce_tco2"]
    assert (ce["x"] >= 0).all() and (ce["lower_bound"] == 0).all() and (ce["scale"] == "unit_variance").all()
    assert kde.loc[kde["variable"] == "cs_tco2", "lower_bound"].isna().all()
    lisa = pd.read_csv(wf / "results/test/analysis/county/lisa.csv")
    assert set(lisa["cluster"]) <= {"HH", "HL", "LH", "LL", "ns"} and len(lisa) == 2 * 2 * len(units)
    grid = json.loads((wf / "results/test/aligned/grid.json").read_text())
    for year in (2019, 2020):
        hs = pd.read_csv(wf / f"results/test/analysis/hotspots_{year}.csv")
        assert hs["cells"].sum() == grid["height"] * grid["width"]
        assert (wf / f"results/test/figures/hotspots_{year}.png").stat().st_size > 20_000
    cg = pd.read_csv(wf / "results/test/analysis/centre_of_gravity.csv")
    assert cg["year"].tolist() == [2019, 2020] and np.isnan(cg["shift_m"][0]) and cg["shift_m"][1] >= 0
    for name in ("moran_lisa_county", "kde_dagum_county", "centre_of_gravity"):
        assert (wf / f"results/test/figures/{name}.png").stat().st_size > 20_000


def check_econometrics(wf):
    """The stage's SDM equals the library on the same panel; effects add up; tests and the
    robustness runs are there; MGWR tables and maps per year."""
    import geopandas as gpd
    import pandas as pd

    from carbonbalance import econometrics as em
    from carbonbalance.econometrics.stage import model_frame, panel_frame, unit_weights
    from carbonbalance.ingest.boundaries import level_units

    cfg = json.loads((wf / "results/test/run_metadata.json").read_text())["config"]["econometrics"]
    y, x = cfg["y"], cfg["x"]
    coef = pd.read_csv(wf / "results/test/analysis/sdm_county.csv")
    assert set(coef.loc[coef.run == "main", "model"]) == {"ols", "slm", "sem", "sdm"}
    assert set(coef["run"]) == {"main", "winsorized_0.01_0.99", "w_inverse_distance^2"}
    units = level_units(gpd.read_file(wf / "results/test/boundaries/units.gpkg"), "county_id")
    frame = panel_frame(
        pd.read_parquet(wf / "results/test/tables/budget_county.parquet"),
        pd.read_parquet(wf / "results/test/tables/statistics.parquet"),
        pd.read_parquet(wf / "results/test/zonal/county.parquet"),
        "county",
    )
    data = model_frame(frame, y, x)
    assert len(data) == 2 * len(units)
    ref = em.spatial_panel(data, y, x, unit_weights(units, {"kind": "queen"}), "unit_id", "year", draws=100)
    main = coef[(coef.run == "main") & (coef.model == "sdm")].set_index("term")
    np.testing.assert_allclose(main.loc[ref.coefficients["term"], "estimate"], ref.coefficients["estimate"], rtol=1e-9)
    np.testing.assert_allclose(
        main.loc[ref.coefficients["term"], "std_error"], ref.coefficients["std_error"], rtol=1e-9
    )
    eff = pd.read_csv(wf / "results/test/analysis/sdm_effects_county.csv")
    assert eff["covariate"].tolist() == x
    np.testing.assert_allclose(eff["direct"] + eff["indirect"], eff["total"], rtol=1e-12)
    assert (eff[["direct_se", "indirect_se", "total_se"]] > 0).all().all()
    rob = pd.read_csv(wf / "results/test/analysis/sdm_robustness_effects_county.csv")
    assert len(rob) == 2 * len(x)
    tests = pd.read_csv(wf / "results/test/analysis/sdm_tests_county.csv")
    assert {
        "LM lag",
        "LM error",
        "robust LM lag",
        "robust LM error",
        "LR SDM -> SLM",
        "Wald SDM -> SLM (theta = 0)",
    } <= set(tests["test"])
    assert tests["p_value"].between(0, 1).all()
    fit = pd.read_csv(wf / "results/test/analysis/sdm_fit_county.csv")
    assert (fit["n_obs"] == 2 * len(units)).all() and (fit["T"] == 2).all()
    assert set(fit.loc[fit["model"] != "ols", "estimator"]) == {"Lee-Yu transformation approach"}
    for year in (2019, 2020):
        summary = pd.read_csv(wf / f"results/test/analysis/mgwr_county_{year}.csv")
        assert summary["covariate"].tolist() == ["intercept", *x]
        assert summary["bandwidth"].between(2, len(units)).all()
        assert (summary["min"] <= summary["mean"]).all() and (summary["mean"] <= summary["max"]).all()
        local = pd.read_csv(wf / f"results/test/analysis/mgwr_local_county_{year}.csv", dtype={"unit_id": str})
        assert sorted(local["unit_id"]) == sorted(units["unit_id"])
        np.testing.assert_allclose(local[x].mean().to_numpy(), summary["mean"].to_numpy()[1:], rtol=1e-9)
        assert (wf / f"results/test/figures/mgwr_county_{year}.png").stat().st_size > 20_000
    assert (wf / "results/test/figures/sdm_effects_county.png").stat().st_size > 20_000


def check_budget_tables(wf):
    """cb = ce - cs, cbi = ce/cs where cs > 0, ECC and ESC from the table's own columns (1e-9);
    province = aggregation of counties; compensation and LMDI tables complete."""
    import pandas as pd

    tables = {
        lvl: pd.read_csv(
            wf / f"results/test/tables/budget_{lvl}.csv", dtype={"unit_id": str, "city_id": str, "province_id": str}
        )
        for lvl in ("county", "city", "province")
    }
    for lvl, t in tables.items():
        np.testing.assert_allclose(t["cb_tco2"], t["ce_tco2"] - t["cs_tco2"], rtol=1e-12)
        pos = t["cs_tco2"] > 0
        np.testing.assert_allclose(t.loc[pos, "cbi"], t.loc[pos, "ce_tco2"] / t.loc[pos, "cs_tco2"], rtol=1e-12)
        assert t.loc[~pos, "cbi"].isna().all()
        g = t.groupby("year")
        share_e = t["ce_tco2"] / g["ce_tco2"].transform("sum")
        np.testing.assert_allclose(
            t["ecc"], (t["gdp_1e4yuan"] / g["gdp_1e4yuan"].transform("sum")) / share_e, rtol=1e-9
        )
        np.testing.assert_allclose(t["esc"], (t["cs_tco2"] / g["cs_tco2"].transform("sum")) / share_e, rtol=1e-9)
        for scheme in ("fan2024", "peng2023", "jiangxi2024"):
            assert t[f"zone_{scheme}"].notna().all()
        comp = pd.read_csv(wf / f"results/test/tables/compensation_{lvl}.csv")
        assert set(comp["year"]) == {2020} and len(comp) == len(t) // 2
        assert set(comp["class"]) <= {"high payer", "low payer", "receiver"}
        lmdi = pd.read_csv(wf / f"results/test/tables/lmdi_{lvl}.csv", keep_default_na=False, na_values=[""])
        ok = lmdi["reason"].isna()
        effects = lmdi.loc[ok, [c for c in lmdi.columns if c.endswith("_effect")]].sum(axis=1)
        np.testing.assert_allclose(effects, lmdi.loc[ok, "dq"], rtol=1e-10, atol=1e-12)
        assert "region" in set(lmdi["unit_id"])
    county, province = tables["county"], tables["province"]
    by = county.groupby(["province_id", "year"])[["ce_tco2", "cs_tco2", "gdp_1e4yuan"]].sum()
    got = province.set_index(["unit_id", "year"]).loc[by.index, ["ce_tco2", "cs_tco2", "gdp_1e4yuan"]]
    np.testing.assert_allclose(got.to_numpy(), by.to_numpy(), rtol=1e-9)
    for year in (2019, 2020):
        assert (wf / f"results/test/figures/budget_{year}.png").stat().st_size > 20_000


def check_zonal_outputs(wf):
    """Levels nest exactly; the county table agrees with exactextract (exact mode, the default)
    and the centre labels with rasterstats on the demo but for the tiny district's borrowed cell."""
    import geopandas as gpd
    import pandas as pd
    from exactextract import exact_extract
    from rasterstats import zonal_stats

    from carbonbalance.core.assignment import read_coverage
    from carbonbalance.zonal.engine import zonal_sums

    tables = {
        lvl: pd.read_parquet(wf / f"results/test/zonal/{lvl}.parquet")
        for lvl in ("county", "city", "province", "region")
    }
    county = tables["county"]
    for col in ("emissions_tco2", "npp_tc", "population_persons", "area_km2", "landuse_21_km2"):
        for lvl, parent in (("city", "city_id"), ("province", "province_id")):
            by = county.groupby([parent, "year"])[col].sum()
            got = tables[lvl].set_index(["unit_id", "year"])[col]
            np.testing.assert_allclose(got.loc[by.index], by, rtol=1e-12)
        np.testing.assert_allclose(
            tables["region"].set_index("year")[col], county.groupby("year")[col].sum(), rtol=1e-12
        )
    units = gpd.read_file(wf / "results/test/boundaries/units.gpkg")
    npp = wf / "results/test/grid/2020/npp.tif"
    ref = exact_extract(
        str(npp), units[["county_id", "geometry"]], ["sum", "mean"], include_cols=["county_id"], output="pandas"
    ).set_index("county_id")
    c20 = county[county["year"] == 2020].set_index("unit_id")
    np.testing.assert_allclose(c20.loc[ref.index, "npp_cellsum_gc_m2"], ref["sum"], rtol=1e-6)
    np.testing.assert_allclose(c20.loc[ref.index, "npp_mean_gc_m2"], ref["mean"], rtol=1e-6)
    cov = read_coverage(wf / "results/test/aligned/unit_assignment.zarr")
    with rasterio.open(npp) as src:
        values = src.read(1)
    s, c = zonal_sums(cov, values, "centre")
    zs = zonal_stats(units.set_index("county_id").loc[cov.unit_ids].geometry, str(npp), stats=["sum", "mean", "count"])
    borrowed = cov.attrs["units_at_borrowed_cell"]
    assert len(borrowed) == 1
    ((t, b),) = borrowed.items()
    same = ~np.isin(cov.unit_ids, [t, b["taken_from"]])  # rasterstats' labels but for the borrowed cell
    np.testing.assert_allclose(s[same], np.array([z["sum"] or 0.0 for z in zs])[same], rtol=1e-6)
    np.testing.assert_allclose(c[same], np.array([z["count"] for z in zs])[same])
    has = same & (c > 0)
    np.testing.assert_allclose((s[has] / c[has]), np.array([z["mean"] for z in zs], dtype=float)[has], rtol=1e-6)
    assert c[cov.unit_ids.index(t)] == 1 and c20.loc[t, "n_cells"] > 0 and c20.loc[t, "emissions_tco2"] > 0


def check_emission_outputs(wf, meta):
    """Totals conserved on the grid, categories add up, accounting tables nest."""
    import pandas as pd

    stats = pd.read_parquet(wf / "results/test/tables/statistics.parquet")
    for year in (2019, 2020):
        grids = {}
        for k in ("", "_urban", "_industrial", "_rural"):
            with rasterio.open(wf / f"results/test/grid/{year}/emissions{k}.tif") as src:
                assert src.tags(1)["units"] == "t CO2 per cell" and src.dtypes[0] == "float64"
                grids[k] = src.read(1)
        np.testing.assert_allclose(grids[""], grids["_urban"] + grids["_industrial"] + grids["_rural"], rtol=1e-12)
        prov = stats[(stats["level"] == "province") & (stats["year"] == year)]
        assert grids[""].sum() == pytest.approx(prov["co2_tco2"].sum(), rel=1e-9)
        rec = meta["stages"]["emissions"][str(year)]
        assert rec["method"] == "multisource" and rec["max_relative_error_of_unit_sums"] < 1e-9
        assert rec["assignment"] == "exact"
        assert (wf / f"results/test/figures/emissions_{year}.png").stat().st_size > 20_000
        ab = pd.read_parquet(wf / f"results/test/tables/landuse_absorption_{year}.parquet")
        assert set(ab["level"]) == {"county", "city", "province"}
        assert ab.loc[ab["level"] == "county", "absorption_tc"].sum() == pytest.approx(
            ab.loc[ab["level"] == "province", "absorption_tc"].sum(), rel=1e-12
        )
    energy = pd.read_parquet(wf / "results/test/tables/energy_accounting.parquet")
    assert len(energy) == len(stats)
    np.testing.assert_allclose(
        energy["emission_tc"], energy["energy_tce"] * 1.87 + energy["population_persons"] * 0.079, rtol=1e-12
    )


def check_numbers_add_up(wf, mode):
    """Issue 14: emissions of every unit of the totals level equal the statistics total (1e-9);
    every extensive column nests (counties = city = province = region); the land-use areas of
    the absorption use the assignment of area_km2; the tiny county keeps its allocated share."""
    import pandas as pd

    stats = pd.read_parquet(wf / "results/test/tables/statistics.parquet")
    zonal = {
        lvl: pd.read_parquet(wf / f"results/test/zonal/{lvl}.parquet")
        for lvl in ("county", "city", "province", "region")
    }
    prov = stats[stats["level"] == "province"].set_index(["unit_id", "year"])["co2_tco2"]
    got = zonal["province"].set_index(["unit_id", "year"]).loc[prov.index, "emissions_tco2"]
    np.testing.assert_allclose(got, prov, rtol=1e-9)
    county = zonal["county"]
    extensive = [
        c
        for c in county.columns
        if c.endswith(("_tco2", "_tc", "_km2", "_persons", "_nw_cm2_sr"))
        or "_cellsum" in c
        or c.endswith("_n_cells")
        or c == "n_cells"
    ]
    assert {"emissions_tco2", "emissions_rural_tco2", "sequestration_tco2", "npp_tc", "area_km2"} <= set(extensive)
    for lvl, parent in (("city", "city_id"), ("province", "province_id")):
        by = county.groupby([parent, "year"])[extensive].sum()
        np.testing.assert_allclose(
            zonal[lvl].set_index(["unit_id", "year"]).loc[by.index, extensive], by, rtol=1e-12, atol=1e-9
        )
    np.testing.assert_allclose(
        zonal["region"].set_index("year")[extensive], county.groupby("year")[extensive].sum(), rtol=1e-12
    )
    for year in (2019, 2020):
        ab = pd.read_parquet(wf / f"results/test/tables/landuse_absorption_{year}.parquet")
        ab = ab[ab["level"] == "county"].set_index("unit_id")
        c = county[county["year"] == year].set_index("unit_id")
        hm2 = ab[[col for col in ab.columns if col.startswith("area_")]].sum(axis=1)
        # every demo land-use code but built-up land (51-53) has an absorption class
        other = c[[f"landuse_{k}_km2" for k in (11, 12, 21, 31, 41, 61)]].sum(axis=1)
        np.testing.assert_allclose(hm2.loc[c.index], other * 100.0, rtol=1e-9)

    def meta(name):
        return json.loads((wf / f"results/test/meta/{name}.json").read_text())

    assignment = meta("unit_assignment")["unit_assignment"]
    tiny = assignment["units_without_cell_centre"]
    assert len(tiny) == 1 and list(assignment["units_at_borrowed_cell"]) == tiny
    t = county[county["unit_id"] == tiny[0]]
    assert (t["emissions_tco2"] > 0).all() and (t["n_cells"] > 0).all()
    budget = pd.read_csv(wf / "results/test/tables/budget_county.csv", dtype={"unit_id": str})
    np.testing.assert_allclose(
        budget.set_index(["unit_id", "year"]).loc[t.set_index(["unit_id", "year"]).index, "ce_tco2"],
        t["emissions_tco2"],
        rtol=1e-12,
    )
    for year in (2019, 2020):
        assert meta(f"emissions_{year}")["emissions"][str(year)]["assignment"] == mode
        assert meta(f"zonal_{year}")["zonal"][str(year)]["mode"] == mode
        assert meta(f"landuse_absorption_{year}")["landuse_absorption"][str(year)]["assignment"] == mode


@pytest.mark.parametrize("configfile", CONFIGS)
def test_dry_run_is_clean(tmp_path, configfile):
    wf = copy_workflow(tmp_path)
    out = snakemake(wf, "-n", "--cores", "2", "--configfile", *configfile).stdout
    jobs = planned_jobs(out)
    n_years = len(yaml.safe_load((wf / configfile[-1]).read_text()).get("years"))
    assert jobs["align_monthly"] == 4 * n_years and jobs["align_annual"] == 4 * n_years
    assert jobs["demo_inputs"] == 1 and jobs["run_metadata"] == 1
    assert jobs["casa"] == n_years and jobs["casa_map"] == n_years
    assert jobs["emissions"] == jobs["emissions_map"] == jobs["landuse_absorption"] == n_years
    assert jobs["unit_assignment"] == 1 and jobs["energy_accounting"] == 1
    assert jobs["zonal"] == n_years and jobs["zonal_levels"] == 1
    assert jobs["budget"] == 3 and jobs["budget_map"] == n_years
    assert jobs["spatial"] == 1 and jobs["centre_of_gravity"] == 1 and jobs["hotspots"] == n_years
    assert jobs["econometrics"] == 1 and jobs["mgwr"] == n_years


@pytest.mark.parametrize("configfile", CONFIGS + [[*TEST, "config/test_ensemble.yaml"]])
def test_lint_is_clean(tmp_path, configfile):
    wf = copy_workflow(tmp_path)
    proc = snakemake(wf, "--lint", "--configfile", *configfile, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    assert "Lints for" not in text


def test_config_value_of_wrong_type_names_the_key(tmp_path):
    text = failing_dry_run(tmp_path, "grid:\n  resolution: fast\n")
    assert "'fast' is not of type 'number'" in text and "resolution" in text


def test_unknown_config_key_is_rejected(tmp_path):
    assert "resolutoin" in failing_dry_run(tmp_path, "grid:\n  resolutoin: 500\n")


def test_unknown_top_level_key_is_named_in_one_line(tmp_path):
    """A typo such as `emission:` no longer runs with the defaults; the error is one line per
    problem, naming the key, not a dump of the schema."""
    text = failing_dry_run(tmp_path, "emission:\n  method: nightlight\ngrid:\n  resolution: fast\n")
    assert "(top level): Additional properties are not allowed ('emission' was unexpected)" in text
    assert "grid.resolution: 'fast' is not of type 'number'" in text
    assert "$schema" not in text and "additionalProperties" not in text and len(text) < 3000


@pytest.mark.parametrize(
    "override, message",
    [
        ("grid:\n  crs: 'EPSG:99999'\n", "grid.crs: 'EPSG:99999' is not a CRS that PROJ knows"),
        ("grid:\n  bounds: [10, 10, 0, 20]\n", "grid.bounds: [10, 10, 0, 20] is empty or inverted"),
        ("run_name: 'my run/2'\n", "run_name: 'my run/2' does not match"),
    ],
)
def test_bad_grid_and_run_name_stop_at_load_time(tmp_path, override, message):
    assert message in failing_dry_run(tmp_path, override)


def test_yaml_syntax_error_is_named_with_file_and_line(tmp_path):
    """Snakemake's own loader says only 'not valid JSON or YAML'; check-config (and make run)
    name the file, line and column."""
    import subprocess
    import sys

    bad = tmp_path / "my.yaml"
    bad.write_text("years: [2019, 2020\ngrid:\n  resolution: 1000\n")
    proc = subprocess.run(
        [sys.executable, "-m", "carbonbalance.cli", "check-config", "config/demo.yaml", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and f"{bad}:2:5: expected ',' or ']', but got ':'" in proc.stderr, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "carbonbalance.cli", "check-config", "config/demo.yaml", "config/test.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_bad_casa_switch_is_rejected(tmp_path):
    text = failing_dry_run(tmp_path, "casa:\n  ndvi_limits: median\n")
    assert "'median' is not one of ['percentile', 'table']" in text


def test_unknown_econometrics_level_is_named(tmp_path):
    text = failing_dry_run(tmp_path, "econometrics:\n  levels: [prefecture]\n")
    assert "econometrics.levels: ['prefecture'] are not boundaries levels" in text


def test_missing_user_input_is_named_before_running(tmp_path):
    """With the demo off, every missing input is listed with its config key."""
    text = failing_dry_run(tmp_path, "demo:\n  enabled: false\nyears: [2020]\n")
    assert "missing input files" in text
    assert "inputs.ndvi.path, 2020 (12 of 12 months): resources/demo/ndvi/ndvi_2020_01.tif" in text
    assert "boundaries.path: resources/demo/boundaries.gpkg" in text


@pytest.fixture(scope="module")
def own_run(test_run, tmp_path_factory):
    """A copy of the finished test run for the tests that change its inputs, its config or
    its files and rerun (in order: each test leaves it up to date): the shared run stays as it
    was for the other modules, which may read it at the same time (pytest-xdist)."""
    import shutil

    wf = tmp_path_factory.mktemp("own") / "wf"
    shutil.copytree(test_run[0], wf, symlinks=True)
    return wf


def test_end_to_end_outputs(test_run, own_run):
    wf, _ = test_run
    meta = json.loads((wf / "results/test/run_metadata.json").read_text())
    assert meta["versions"]["carbonbalance"] and meta["versions"]["GDAL"]
    assert meta["config"]["grid"]["resolution"] == 3000
    changed = {d["key"]: d["this_run"] for d in meta["changed_defaults"]}
    assert changed["econometrics.lee_yu"] == "auto" and changed["tables.mass_unit"] == "t CO2"
    assert changed["analysis.kde.scale"] == "unit_variance" and changed["zonal.mode"] == "exact"
    assert "precedence over P = 0" in meta["stages"]["casa"]["2020"]["w_eps_edge_cases"]
    align = meta["stages"]["align"]
    assert set(align) == {
        f"{v}/{y}"
        for v in (
            "ndvi",
            "temperature",
            "precipitation",
            "radiation",
            "landcover",
            "landuse",
            "nightlight",
            "population",
        )
        for y in (2019, 2020)
    }
    assert align["radiation/2020"]["declared_units"] == "W m-2"
    assert align["radiation/2020"]["units"] == "MJ m-2 month-1"
    assert meta["stages"]["grid"]["cell_area_method"].startswith("resolution²")
    grid = json.loads((wf / "results/test/aligned/grid.json").read_text())
    ndvi = open_store(wf / "results/test/aligned/2020/ndvi.zarr")["ndvi"]
    assert ndvi.shape == (12, grid["height"], grid["width"]) and ndvi.attrs["units"] == "1"
    v = ndvi.values
    assert np.nanmax(v) <= 1.0 and np.nanmin(v) >= -1.0 and np.isfinite(v).mean() > 0.5
    t = open_store(wf / "results/test/aligned/2020/temperature.zarr")["temperature"]
    assert float(t.sel(month=7).mean()) > float(t.sel(month=1).mean()) + 15
    # population on the grid keeps the source total of the pixels on the grid (all here)
    with rasterio.open(wf / "resources/demo/population/pop_2020.tif") as src:
        p = src.read(1, masked=True)
    pop = open_store(wf / "results/test/aligned/2020/population.zarr")["population"].values
    assert np.nansum(pop) == pytest.approx(float(p.sum()), rel=1e-6)
    stats = wf / "results/test/tables/statistics.parquet"
    assert stats.exists()
    for year in (2019, 2020):
        for name in ("npp.tif", "rh.tif", "nep.tif", "sequestration_tco2.tif", "casa_monthly.zarr"):
            assert (wf / f"results/test/grid/{year}/{name}").exists(), name
        assert (wf / f"results/test/figures/casa_{year}.png").stat().st_size > 20_000
        casa = meta["stages"]["casa"][str(year)]
        assert casa["params"]["ndvi_limits"] == "percentile"
        assert casa["cells_by_status"]["computed"] > 1000
        assert casa["plausibility"]["annual_npp_gt_max_cells"] == 0
    check_emission_outputs(wf, meta)
    check_zonal_outputs(wf)
    check_numbers_add_up(wf, "exact")
    check_budget_tables(wf)
    check_analysis(wf)
    check_econometrics(wf)
    # nothing left to do (a dry run locks the folder: in the copy, which is the same run)
    out = snakemake(own_run, "-n", "--cores", "2", "--configfile", *TEST).stdout
    assert "Nothing to be done" in out


def test_every_job_stays_within_its_declared_memory(test_run):
    """Each job records its process high-water mark beside its log (not Snakemake's sampled
    figure); none exceeds the mem_mb its rule declares (benchmarks/national.py checks the
    same at national scale)."""
    wf, _ = test_run
    records = [json.loads(p.read_text()) for p in (wf / "logs/test").rglob("*.peak.json")]
    rules = {r["rule"] for r in records}
    assert {"align_monthly", "casa", "emissions", "zonal", "budget", "spatial", "mgwr"} <= rules
    over = [(r["rule"], r["wildcards"], r["peak_mb"], r["mem_mb"]) for r in records if r["peak_mb"] > r["mem_mb"]]
    assert not over, over
    assert all(r["peak_mb"] > 50 and r["seconds"] > 0 for r in records)


def declared_mem(resolution: float, bounds) -> dict:
    """{rule: mem_mb} as the rules files declare it for a grid of ``resolution`` over ``bounds``
    (the rules' ``mem_mb`` expressions evaluated with workflow/rules/common.smk's helpers)."""
    from types import SimpleNamespace

    config = {
        "run_name": "memcheck",
        "years": [2019, 2020],
        "grid": {"crs": "EPSG:3857", "resolution": resolution, "bounds": list(bounds)},
        "boundaries": {"path": "nowhere.gpkg", "layer": None},
    }
    ns = {"config": config, "workflow": SimpleNamespace(basedir=str(ROOT))}
    exec(compile((ROOT / "workflow/rules/common.smk").read_text(), "common.smk", "exec"), ns)
    out = {}
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        rule = None
        for line in smk.read_text().splitlines():
            m = re.match(r"^(?:rule|checkpoint) (\w+):", line)
            rule = m.group(1) if m else rule
            m = re.match(r"^\s+mem_mb=(.+),$", line)
            if m and rule:
                value = eval(m.group(1), ns)
                out[rule] = value(None) if callable(value) else value
    return out


def test_declared_memory_grows_with_the_grid():
    """mem_mb of the grid-bound rules follows the grid's cell count (1 km against 250 m over
    the same extent): a finer grid asks for more, the table rules do not change."""
    bounds = (0, 0, 2_000_000, 1_500_000)
    km, fine = declared_mem(1000, bounds), declared_mem(250, bounds)
    for rule in ("casa", "align_monthly", "emissions", "zonal", "unit_assignment", "hotspots"):
        assert fine[rule] > km[rule], (rule, km[rule], fine[rule])
    assert fine["budget"] == km["budget"] and fine["econometrics"] == km["econometrics"]
    # the national benchmark's grid (26.7 M cells): every grid-bound rule within the 2 GB
    # that a job may use at 1 km, and 4 times as many cells ask for more than 2 GB
    national = declared_mem(1000, (0, 0, 4_834_000, 5_515_000))
    assert max(national[r] for r in ("casa", "align_monthly", "emissions", "hotspots")) <= 2000
    assert declared_mem(500, (0, 0, 4_834_000, 5_515_000))["zonal"] > 2 * 2000 - 1200


def test_centre_mode_numbers_add_up(test_run, tmp_path):
    """zonal.mode: centre reruns the allocation, the zonal sums, the land-use areas and the
    budget tables only, and the numbers add up there too (the tiny county included)."""
    import shutil

    wf = tmp_path / "centre"
    shutil.copytree(test_run[0], wf, symlinks=True)
    (wf / "centre.yaml").write_text("zonal:\n  mode: centre\n")
    targets = [f"results/test/tables/budget_{lvl}.csv" for lvl in ("county", "city", "province")]
    args = [*targets, "--cores", "2", "--configfile", *TEST, "centre.yaml"]
    jobs = planned_jobs(snakemake(wf, "-n", *args).stdout)
    assert jobs == {"emissions": 2, "landuse_absorption": 2, "zonal": 2, "zonal_levels": 1, "budget": 3}, jobs
    snakemake(wf, *args)
    check_numbers_add_up(wf, "centre")


def test_report_bundles_the_casa_maps(own_run):
    wf = own_run
    snakemake(wf, "--report", "report.zip", "--configfile", *TEST)
    import zipfile

    names = zipfile.ZipFile(wf / "report.zip").namelist()
    assert any(n.endswith("casa_2020.png") for n in names), names[:20]


def test_demo_forest_npp_is_plausible(test_run):
    """Annual NPP of forest cells (IGBP 1-5) of the demo within 300-1500 g C m-2 yr-1."""
    wf, _ = test_run
    for year in (2019, 2020):
        with rasterio.open(wf / f"results/test/grid/{year}/npp.tif") as src:
            npp = src.read(1)
            assert src.tags(1)["units"] == "g C m-2 yr-1"
        lc = open_store(wf / f"results/test/aligned/{year}/landcover.zarr")["landcover"].values
        forest = np.isin(lc, [1, 2, 3, 4, 5]) & np.isfinite(npp)
        assert forest.sum() > 500
        p5, p50, p95 = np.percentile(npp[forest], [5, 50, 95])
        assert 300 <= p5 and p95 <= 1500 and 400 <= p50 <= 900, (p5, p50, p95)
        water = np.isin(lc, [15, 16, 17])
        assert np.isnan(npp[water]).all()


def test_changed_ndvi_month_reruns_only_that_year(own_run):
    wf = own_run
    path = wf / "resources/demo/ndvi/ndvi_2020_05.tif"
    with rasterio.open(path, "r+") as dst:
        data = dst.read(1)
        data[data > 0] -= 10
        dst.write(data, 1)
    out = snakemake(wf, "-n", "--cores", "2", "--configfile", *TEST).stdout
    jobs = planned_jobs(out)
    assert jobs == {
        "align_monthly": 1,
        "casa": 1,
        "casa_map": 1,
        "zonal": 1,
        "zonal_levels": 1,
        "budget": 3,
        "budget_map": 2,
        "budget_figures": 3,
        "budget_years": 1,
        "spatial": 1,
        "econometrics": 1,
        "mgwr": 2,
        "mgwr_map": 2,
        "run_metadata": 1,
        "all": 1,
    }, out[-3000:]
    assert "results/test/aligned/2020/ndvi.zarr" in out
    assert "results/test/aligned/2019/ndvi.zarr" not in re.sub(r"input: .*", "", out)
    # mark the run up to date again (the dry run above is what this test checks)
    snakemake(wf, "--touch", "--cores", "2", "--configfile", *TEST)


def test_changed_night_light_reruns_only_that_years_emissions(own_run):
    wf = own_run
    path = wf / "resources/demo/nightlight/ntl_2019.tif"
    with rasterio.open(path, "r+") as dst:
        data = dst.read(1)
        dst.write(data * 1.5, 1)
    out = snakemake(wf, "-n", "--cores", "2", "--configfile", *TEST).stdout
    jobs = planned_jobs(out)
    assert jobs == {
        "align_annual": 1,
        "emissions": 1,
        "emissions_map": 1,
        "zonal": 1,
        "zonal_levels": 1,
        "budget": 3,
        "budget_map": 2,
        "budget_figures": 3,
        "budget_years": 1,
        "spatial": 1,
        "hotspots": 1,
        "centre_of_gravity": 1,
        "econometrics": 1,
        "mgwr": 2,
        "mgwr_map": 2,
        "run_metadata": 1,
        "all": 1,
    }, out[-3000:]
    assert "results/test/grid/2019/emissions.tif" in out
    assert "results/test/grid/2020/emissions" not in re.sub(r"input: .*", "", out)
    snakemake(wf, "--touch", "--cores", "2", "--configfile", *TEST)


def test_changed_absorption_coefficient_reruns_only_the_absorption_tables(own_run):
    wf = own_run
    (wf / "override.yaml").write_text("emissions:\n  absorption:\n    coefficients_tc_per_hm2: {forest: -6.0}\n")
    out = snakemake(wf, "-n", "--cores", "2", "--configfile", *TEST, "override.yaml").stdout
    jobs = planned_jobs(out)
    # the absorption tables feed the compensation (and the landuse sequestration source) of every level
    assert jobs == {
        "landuse_absorption": 2,
        "budget": 3,
        "budget_map": 2,
        "budget_figures": 3,
        "budget_years": 1,
        "spatial": 1,
        "econometrics": 1,
        "mgwr": 2,
        "mgwr_map": 2,
        "run_metadata": 1,
        "all": 1,
    }, out[-3000:]


@pytest.mark.parametrize(
    "override, expected",
    [
        ("econometrics:\n  draws: 500\n", {"econometrics": 1}),
        ("econometrics:\n  mgwr:\n    kernel: gaussian\n", {"mgwr": 2, "mgwr_map": 2}),
    ],
)
def test_changed_econometrics_setting_reruns_only_its_rule(own_run, override, expected):
    wf = own_run
    (wf / "override.yaml").write_text(override)
    out = snakemake(wf, "-n", "--cores", "2", "--configfile", *TEST, "override.yaml").stdout
    assert planned_jobs(out) == {**expected, "run_metadata": 1, "all": 1}, out[-3000:]


@pytest.mark.parametrize("mass_unit", ["t CO2", "t C"])
def test_the_mapped_budget_columns_follow_the_reporting_mass_unit(mass_unit):
    """common.smk names the budget columns of budget_years without the library (which needs
    pandas); its suffixes must be those of carbonbalance.budget.params."""
    from types import SimpleNamespace

    from carbonbalance.budget.params import mass_suffix

    config = {"tables": {"mass_unit": mass_unit, "zoning": {"schemes": ["fan2024"]}}}
    ns = {"config": config, "workflow": SimpleNamespace(basedir=str(ROOT))}
    exec(compile((ROOT / "workflow/rules/common.smk").read_text(), "common.smk", "exec"), ns)
    suffix = mass_suffix(mass_unit)
    assert ns["budget_year_variables"]() == [f"ce_{suffix}", f"cs_{suffix}", f"cb_{suffix}", "cbi", "ecc", "esc",
                                             "zone_fan2024"]  # fmt: skip
