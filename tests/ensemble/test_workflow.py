"""The test ensemble on the test run (SPEC §9): what each member reruns, and what the outputs say."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import snakemake
from helpers import TEST, planned_jobs

ENSEMBLE = [*TEST, "config/test_ensemble.yaml"]
#: what any ensemble adds to the plan: its two table jobs, the run's record and the target
ALWAYS = {"ensemble_tables": 1, "ensemble_summary": 1, "run_metadata": 1, "all": 1}


@pytest.fixture(scope="module")
def ensemble_run(test_run, tmp_path_factory):
    """A copy of the test run with the test ensemble run on top of it."""
    wf = tmp_path_factory.mktemp("ensemble") / "wf"
    shutil.copytree(test_run[0], wf, symlinks=True)
    return wf


@pytest.mark.parametrize(
    "variant, expected",
    [
        # zoning rules only: no realignment, no CASA, no zonal statistics
        ("{tables: {zoning: {schemes: [peng2023]}}}", {}),
        # εmax: CASA (one batched pass per year) and what follows, never the alignment
        ("{casa: {eps_max: {crop: 0.6}}}", {"ensemble_casa_batch": 2, "ensemble_zonal": 2}),
        # another CASA constant: the casa rule itself, with the member wildcard
        ("{casa: {t_eps2_constant: 1.184}}", {"ensemble_casa": 2, "ensemble_zonal": 2}),
        ("{emissions: {method: nightlight}}", {"ensemble_emissions_nightlight": 2, "ensemble_zonal": 2}),
        ("{emissions: {energy: {sigma: 2.0}}}", {}),
        # the centre assignment: the allocation, the land-use areas and every zonal column
        (
            "{zonal: {mode: centre}}",
            {"ensemble_emissions_multisource": 2, "ensemble_landuse_absorption": 2, "ensemble_zonal": 2},
        ),
    ],
)
def test_a_member_reruns_only_what_its_overrides_reach(ensemble_run, variant, expected):
    (ensemble_run / "one.yaml").write_text(f"ensemble:\n  variants:\n    v: {variant}\n")
    out = snakemake(ensemble_run, "-n", "--cores", "2", "--configfile", *TEST, "one.yaml").stdout
    assert planned_jobs(out) == ALWAYS | expected, out[-3000:]


@pytest.fixture(scope="module")
def test_ensemble(ensemble_run):
    snakemake(ensemble_run, "--cores", "2", "--configfile", *ENSEMBLE)
    return ensemble_run / "results/test"


def test_the_baseline_member_is_the_plain_run_and_no_overrides_change_nothing(test_ensemble):
    long = pd.read_parquet(test_ensemble / "ensemble/budget_county.parquet")
    members = json.loads((test_ensemble / "ensemble/members.json").read_text())
    assert len(members) == 1 + 3 + 20 + 4 and set(long["member"]) == set(members)
    plain = pd.read_parquet(test_ensemble / "tables/budget_county.parquet")
    base = long[long["member"] == "baseline"].drop(columns="member").reset_index(drop=True)
    pd.testing.assert_frame_equal(base, plain, check_exact=True)
    for member in ("unchanged", "rook_weights"):  # no overrides; overrides nothing the budget reads
        same = long[long["member"] == member].drop(columns="member").reset_index(drop=True)
        pd.testing.assert_frame_equal(same, plain, check_exact=True)
    assert members["unchanged"]["stages"] == [] and members["rook_weights"]["stages"] == ["analysis"]
    # every draw changed εmax and σ, and so the sequestration of every unit
    d = long[long["member"] == "draw001"].reset_index(drop=True)
    assert (d["cs_tco2"] != plain["cs_tco2"]).all()
    assert members["draw001"]["stages"] == ["analysis", "casa", "energy_accounting", "tables", "zonal"]


def test_intervals_contain_the_baseline_of_centred_draws(test_ensemble):
    for level in ("county", "city", "province"):
        t = pd.read_csv(test_ensemble / f"ensemble/intervals_{level}.csv")
        for q in ("ce_tco2", "cs_tco2", "cb_tco2", "cbi", "ecc", "esc"):
            ok = t[f"{q}_baseline"].notna()
            assert (
                t.loc[ok, f"{q}_p5"] <= t.loc[ok, f"{q}_baseline"] + 1e-9 * t.loc[ok, f"{q}_baseline"].abs()
            ).all(), (level, q)
            assert (
                t.loc[ok, f"{q}_p95"] >= t.loc[ok, f"{q}_baseline"] - 1e-9 * t.loc[ok, f"{q}_baseline"].abs()
            ).all(), (level, q)
        # εmax ± 15 % moves NPP by as much and NEP = NPP - RH, the sequestration, by more
        width = (t["cs_tco2_p95"] - t["cs_tco2_p5"]) / t["cs_tco2_baseline"]
        assert (width > 0).all() and width.median() > 0.15


def test_zone_stability_sensitivity_and_the_record(test_ensemble):
    s = pd.read_csv(test_ensemble / "ensemble/zone_stability_county.csv")
    assert set(s["scheme"]) == {"fan2024", "peng2023", "jiangxi2024"}
    assert s["agreement"].between(0, 1).all() and (s["members"] == 28).all()
    assert ((s["zone_modal"] == s["zone_baseline"]) | (s["modal_share"] >= s["agreement"])).all()
    sens = pd.read_csv(test_ensemble / "ensemble/sensitivity_county.csv")
    switches = set(sens["switch"])
    assert {
        "nightlight",
        "rook_weights",
        "unchanged",
        "casa.eps_max",
        "emissions.energy.sigma",
        "all draws",
    } <= switches
    # another W changes nothing the zones read: every unit keeps its zone in that member
    long = pd.read_parquet(test_ensemble / "ensemble/budget_county.parquet")
    zones = [c for c in long.columns if c.startswith("zone_")]
    rook = long[long["member"] == "rook_weights"][zones].reset_index(drop=True)
    assert rook.equals(long[long["member"] == "baseline"][zones].reset_index(drop=True))
    assert (sens[sens["switch"] == "rook_weights"]["zones_changed"] == 0).all()
    assert (sens.groupby("scheme")["rank"].min() == 1).all()
    meta = json.loads((test_ensemble / "run_metadata.json").read_text())
    draws = meta["stages"]["ensemble"]["members"]["draw007"]["draws"]
    assert set(draws) >= {"casa.eps_max.ENF", "emissions.energy.sigma"}
    assert meta["stages"]["ensemble"]["members"]["nightlight"]["overrides"] == {"emissions": {"method": "nightlight"}}
    g = pd.read_csv(test_ensemble / "ensemble/global_county.csv")
    assert {"moran_i", "gini", "within_pct"} <= set(g["statistic"])
    moran = g[g["statistic"] == "moran_i"]
    assert (moran["max"] > moran["min"]).all() and (moran["members"] == 28).all()
    for name in ("ensemble_zone_stability.png", "ensemble_cbi_intervals.png"):
        assert (test_ensemble / "figures" / name).stat().st_size > 10_000


def test_a_batched_member_equals_a_separate_casa_run(test_ensemble):
    import rasterio

    members = json.loads((test_ensemble / "ensemble/members.json").read_text())
    lo = test_ensemble / "ensemble/members/oat_casa_eps_max_low/grid/2020/npp.tif"
    with rasterio.open(test_ensemble / "grid/2020/npp.tif") as a, rasterio.open(lo) as b:
        base, low = a.read(1, masked=True), b.read(1, masked=True)
    eps = members["oat_casa_eps_max_low"]["draws"]
    assert eps and all(k.startswith("casa.eps_max.") for k in eps)
    ratio = np.ma.median(low[base > 10] / base[base > 10])
    assert ratio == pytest.approx(0.865, rel=1e-4)  # every type's εmax at its 5th percentile


def test_the_report_has_an_uncertainty_category(test_ensemble, tmp_path):
    wf = test_ensemble.parents[1]
    snakemake(wf, "--report", str(tmp_path / "report.html"), "--configfile", *ENSEMBLE)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "9 Uncertainty" in html
    for item in ("ensemble.html", "ensemble_zone_stability.png", "ensemble_cbi_intervals.png", "zone stability maps"):
        assert item in html, item


@pytest.mark.parametrize(
    "ensemble, message",
    [
        ("variants:\n    finer: {grid: {resolution: 1000}}", "ensemble.variants.finer.grid: a member may change only"),
        ("variants:\n    neg: {casa: {eps_max: {crop: -0.5}}}", "ensemble member neg (variant) has an invalid config"),
        ("draws: 5\n  coefficients:\n    casa.alpha: {relative: 0.1}", "ensemble.coefficients.casa.alpha: only"),
    ],
)
def test_a_bad_ensemble_stops_at_load_naming_the_key(ensemble_run, ensemble, message):
    (ensemble_run / "bad.yaml").write_text(f"ensemble:\n  {ensemble}\n")
    proc = snakemake(ensemble_run, "-n", "--configfile", *TEST, "bad.yaml", check=False)
    assert proc.returncode != 0 and message in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-2000:]
