"""Ensemble members: overrides, reproducible draws, and which stages each one reruns (SPEC §9)."""

import statistics

import pytest

from carbonbalance.ensemble.members import (
    BASELINE,
    EnsembleError,
    absorption_areas_change,
    build_members,
    eps_only,
    quantile,
    rerun_stages,
    zonal_layers,
)

EPS = {"ENF": 0.389, "EBF": 0.985, "grass": 0.542}


def config(**ensemble):
    return {
        "casa": {"eps_max": dict(EPS), "t_eps2_constant": 1.1814},
        "emissions": {"method": "multisource", "energy": {"sigma": 1.87}, "absorption": {
            "coefficients_tc_per_hm2": {"forest": -5.77, "water": -0.253}, "classes": {"21": "forest"}}},
        "zonal": {"mode": "exact"},
        "tables": {"zoning": {"schemes": ["fan2024"]}, "compensation": {"price_min_yuan_per_t": 20.0}},
        "analysis": {"weights": {"kind": "queen"}},
        "landuse_classes": {"11": "rural"},
        "landcover_classes": {"1": "ENF"},
        "grid": {"resolution": 1000},
        "ensemble": ensemble,
    }  # fmt: skip


def test_no_variants_and_no_draws_is_no_ensemble():
    assert build_members(config()) == {}
    assert build_members(config(variants={}, draws=0)) == {}


@pytest.mark.parametrize(
    "keys, expected",
    [
        (["tables.zoning.schemes"], {"tables", "analysis"}),
        (["casa.eps_max.ENF"], {"casa", "zonal", "tables", "analysis"}),
        (["emissions.method"], {"emissions", "zonal", "tables", "analysis"}),
        (["emissions.energy.sigma"], {"energy_accounting", "tables", "analysis"}),
        (["emissions.absorption.coefficients_tc_per_hm2.forest"], {"landuse_absorption", "tables", "analysis"}),
        (["zonal.mode"], {"emissions", "landuse_absorption", "zonal", "tables", "analysis"}),
        (["analysis.weights.kind"], {"analysis"}),
    ],
)
def test_a_member_reruns_what_reads_its_keys_and_everything_downstream(keys, expected):
    assert rerun_stages(keys) == expected


def test_variants_draws_and_one_at_a_time_members():
    cfg = config(
        variants={"zones_only": {"tables": {"zoning": {"schemes": ["peng2023"]}}}, "nothing": {}},
        coefficients={"casa.eps_max": {"distribution": "uniform", "relative": 0.15},
                      "emissions.energy.sigma": {"distribution": "normal", "relative": 0.1}},
        draws=5, seed=3,
    )  # fmt: skip
    m = build_members(cfg)
    assert list(m)[:3] == [BASELINE, "zones_only", "nothing"]
    assert [n for n in m if n.startswith("draw")] == [f"draw{i:03d}" for i in range(1, 6)]
    assert m[BASELINE]["stages"] == [] and m["nothing"]["stages"] == [] and m["nothing"]["changed"] == []
    assert m["zones_only"]["stages"] == ["analysis", "tables"]
    d = m["draw001"]
    assert set(d["draws"]) == {f"casa.eps_max.{t}" for t in EPS} | {"emissions.energy.sigma"}
    for t, v in EPS.items():
        assert 0.85 * v <= d["draws"][f"casa.eps_max.{t}"] <= 1.15 * v
        assert d["overrides"]["casa"]["eps_max"][t] == d["draws"][f"casa.eps_max.{t}"]
    assert eps_only(d) and not eps_only(m["zones_only"])
    assert build_members(cfg)["draw004"]["draws"] == m["draw004"]["draws"]  # reproducible
    assert (
        build_members({**cfg, "ensemble": {**cfg["ensemble"], "seed": 4}})["draw004"]["draws"] != m["draw004"]["draws"]
    )
    lo, hi = m["oat_casa_eps_max_low"], m["oat_casa_eps_max_high"]
    assert lo["switch"] == "casa.eps_max" and lo["draws"]["casa.eps_max.ENF"] == pytest.approx(0.389 * 0.865)
    assert hi["draws"]["casa.eps_max.EBF"] == pytest.approx(0.985 * 1.135)
    assert "emissions.energy.sigma" not in lo["draws"]  # one at a time
    z = statistics.NormalDist().inv_cdf(0.95)
    assert m["oat_emissions_energy_sigma_high"]["draws"]["emissions.energy.sigma"] == pytest.approx(
        1.87 * (1 + 0.1 * z)
    )


def test_draws_are_centred_on_the_run_s_values():
    cfg = config(coefficients={"emissions.energy.sigma": {"distribution": "triangular", "relative": 0.2}}, draws=400)
    values = [v["draws"]["emissions.energy.sigma"] for v in build_members(cfg).values() if v["kind"] == "draw"]
    assert min(values) >= 1.87 * 0.8 and max(values) <= 1.87 * 1.2
    assert statistics.mean(values) == pytest.approx(1.87, rel=0.01)
    assert quantile({"distribution": "triangular", "relative": 0.2}, 1.0, 0.5) == pytest.approx(1.0)
    assert quantile({"distribution": "uniform", "low": 1.0, "high": 3.0}, 2.0, 0.05) == pytest.approx(1.1)


def test_what_the_zonal_and_absorption_stages_recompute():
    m = build_members(config(variants={
        "mode": {"zonal": {"mode": "centre"}},
        "light": {"emissions": {"method": "nightlight"}},
        "lam": {"emissions": {"absorption": {"coefficients_tc_per_hm2": {"forest": -4.0}}}},
        "cls": {"emissions": {"absorption": {"classes": {"21": "water"}}}},
    }))  # fmt: skip
    assert zonal_layers(m["mode"]) == ["all"] and zonal_layers(m["light"]) == ["emissions"]
    assert absorption_areas_change(m["mode"]) and absorption_areas_change(m["cls"])
    assert not absorption_areas_change(m["lam"]) and "landuse_absorption" in m["lam"]["stages"]


@pytest.mark.parametrize(
    "ensemble, message",
    [
        ({"variants": {"g": {"grid": {"resolution": 500}}}}, "ensemble.variants.g.grid: a member may change only"),
        (
            {"variants": {"k": {"analysis": {"kde": {"kernel": "gaussian"}}}}},
            "ensemble.variants.k.analysis.kde: of the analysis a member may change only weights",
        ),
        ({"variants": {"baseline": {}}}, "ensemble.variants.baseline: a variant name"),
        ({"variants": {"Big": {}}}, "ensemble.variants.Big: a variant name"),
        ({"draws": 3}, "ensemble.draws: draws need ensemble.coefficients"),
        ({"draws": 3, "coefficients": {"casa.alpha": {"relative": 0.1}}}, "ensemble.coefficients.casa.alpha: only"),
        (
            {"draws": 3, "coefficients": {"casa.eps_max": {"low": 0.1, "high": 0.2}}},
            "a mapping of coefficients is drawn with relative",
        ),
        (
            {"draws": 3, "coefficients": {"emissions.energy.sigma": {"distribution": "normal", "low": 1, "high": 2}}},
            "a normal distribution takes relative",
        ),
        ({"draws": 3, "coefficients": {"emissions.energy.sigma": {"relative": 1.5}}}, "must lie between 0 and 1"),
    ],
)
def test_bad_ensemble_entries_name_the_key(ensemble, message):
    with pytest.raises(EnsembleError, match=message.replace(".", r"\.")):
        build_members(config(**ensemble))
