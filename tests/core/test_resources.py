"""The resource model of the rules (carbonbalance.core.resources): declarations follow the
grid, the units and the years, cover the national benchmark's measured peaks with the
stated margin, and every rule of the workflow has its line."""

import dataclasses
import re

import pytest
from helpers import ROOT

from carbonbalance.core.resources import (
    DASK_RULES,
    DASK_WORKER_MB,
    MEMORY_MARGIN,
    NATIONAL_CELLS,
    NATIONAL_UNITS,
    NEEDS,
    Scale,
    dask_workers,
    need,
    plan,
)

NATIONAL = Scale(cells=NATIONAL_CELLS, units=NATIONAL_UNITS, years=2)

#: process high-water marks (MB) of the national benchmark, two years (benchmarks/README.md)
NATIONAL_PEAKS = {
    "mgwr": 1403, "casa": 1156, "econometrics": 1217, "zonal": 1844, "spatial": 1166, "align_monthly": 1073,
    "align_annual": 692, "emissions": 1050, "prepare_boundaries": 728, "unit_assignment": 1151,
    "landuse_absorption": 606, "build_grid": 485, "zonal_levels": 266, "energy_accounting": 255, "budget": 220,
    "run_metadata": 220, "statistics": 217, "hotspots": 1450,
}  # fmt: skip
#: wall seconds per job of the national benchmark
NATIONAL_SECONDS = {"mgwr": 43.9, "casa": 44.9, "zonal": 19.1, "align_monthly": 12.9, "emissions": 9.1}


def workflow_rules() -> set[str]:
    """Rule names of workflow/rules/*.smk (``rule x:`` and ``use rule y as x``)."""
    names = set()
    for smk in (ROOT / "workflow/rules").glob("*.smk"):
        for plain, used in re.findall(r"(?m)^\s*(?:rule (\w+):|use rule \w+ as (\w+))", smk.read_text()):
            names.add(plain or used)
    return names


def test_every_rule_has_a_line_and_every_line_a_rule():
    rules = workflow_rules()
    assert "align_annual" in rules and "casa" in rules
    assert rules == set(NEEDS), rules ^ set(NEEDS)


def test_unknown_rule_is_named():
    with pytest.raises(KeyError, match="'nonesuch'"):
        need("nonesuch")


@pytest.mark.parametrize("rule, peak", sorted(NATIONAL_PEAKS.items()))
def test_national_declarations_cover_the_measured_peaks_with_the_margin(rule, peak):
    assert need(rule).mem_mb(NATIONAL) >= MEMORY_MARGIN * peak


@pytest.mark.parametrize("rule, seconds", sorted(NATIONAL_SECONDS.items()))
def test_expected_seconds_are_the_measured_ones_at_national_scale(rule, seconds):
    assert need(rule).seconds(NATIONAL) == pytest.approx(seconds, rel=0.15)
    assert need(rule).runtime_min(NATIONAL) * 60 >= 3 * seconds


@pytest.mark.parametrize("rule", ["align_monthly", "align_annual", "casa", "emissions", "zonal", "unit_assignment",
                                  "hotspots", "casa_map", "emissions_map"])  # fmt: skip
def test_grid_rules_grow_with_the_cells(rule):
    km = need(rule)
    fine = Scale(cells=16 * NATIONAL_CELLS, units=NATIONAL_UNITS, years=2)  # 250 m
    assert km.mem_mb(fine) > km.mem_mb(NATIONAL)
    assert km.seconds(fine) > km.seconds(NATIONAL)
    assert km.mem_mb(Scale(cells=NATIONAL_CELLS, units=10 * NATIONAL_UNITS, years=2)) == km.mem_mb(NATIONAL)


@pytest.mark.parametrize("rule", ["mgwr", "mgwr_map", "budget_map", "spatial", "econometrics", "prepare_boundaries"])
def test_unit_rules_grow_with_the_units(rule):
    more = Scale(cells=NATIONAL_CELLS, units=4 * NATIONAL_UNITS, years=2)
    assert need(rule).mem_mb(more) > need(rule).mem_mb(NATIONAL)
    assert need(rule).seconds(more) > need(rule).seconds(NATIONAL)
    assert need(rule).mem_mb(Scale(cells=16 * NATIONAL_CELLS, units=NATIONAL_UNITS, years=2)) == need(rule).mem_mb(
        NATIONAL
    )


def test_mgwr_grows_with_the_square_of_the_units():
    m = need("mgwr")
    base = m.seconds(NATIONAL) - m.sec_base
    doubled = m.seconds(Scale(cells=NATIONAL_CELLS, units=2 * NATIONAL_UNITS, years=2)) - m.sec_base
    assert doubled == pytest.approx(4 * base)


@pytest.mark.parametrize("rule", ["spatial", "econometrics", "budget", "zonal_levels", "centre_of_gravity"])
def test_all_year_rules_grow_with_the_years(rule):
    decades = Scale(cells=NATIONAL_CELLS, units=NATIONAL_UNITS, years=22)
    assert need(rule).seconds(decades) > need(rule).seconds(NATIONAL)


def test_runtime_has_a_floor_and_is_whole_minutes():
    tiny = Scale(cells=1e4, units=10, years=1)
    for rule, n in NEEDS.items():
        assert isinstance(n.runtime_min(tiny), int) and n.runtime_min(tiny) >= 10, rule


def test_plan_sums_jobs_cpu_hours_and_disk():
    rows = {r.rule: r for r in plan({"casa": 22, "mgwr": 22, "all": 1}, Scale(NATIONAL_CELLS, NATIONAL_UNITS, 22))}
    assert set(rows) == {"casa", "mgwr"}  # `all` runs nothing
    casa = rows["casa"]
    assert casa.cpu_hours == pytest.approx(22 * need("casa").seconds(NATIONAL) * 2 / 3600)
    assert casa.disk_gb == pytest.approx(22 * need("casa").disk_mb(NATIONAL) / 1e3)
    assert casa.disk_gb / 22 == pytest.approx(0.78, rel=0.05)  # casa_monthly 559 MB + COGs 219 MB a year


def test_a_local_dask_cluster_declares_its_workers_memory():
    """dask.scheduler: local starts one worker process per thread inside the raster jobs:
    their start-up memory is declared on top of the threaded need; a running scheduler's
    workers are not the job's."""
    national = Scale(NATIONAL_CELLS, NATIONAL_UNITS, 22)
    for rule in DASK_RULES:
        n = dask_workers(rule, "local")
        assert n == need(rule).threads >= 1
        assert need(rule).mem_mb(national, dask_workers=n) == need(rule).mem_mb(national) + n * DASK_WORKER_MB
        assert dask_workers(rule, "threads") == dask_workers(rule, "tcp://scheduler:8786") == 0
    assert dask_workers("budget", "local") == 0


def test_the_batched_ensemble_casa_declaration_covers_100_members_at_national_scale():
    """benchmarks/ensemble.py: εmax members of one national year in one pass: 100 members 2253 MB,
    291 s; 20 members 1579 MB, 73 s."""
    batch = need("ensemble_casa_batch")
    for members, peak, seconds in ((100, 2253, 291), (20, 1579, 73)):
        s = dataclasses.replace(NATIONAL, members=members)
        assert batch.mem_mb(s) >= MEMORY_MARGIN * peak, (members, batch.mem_mb(s))
        assert 0.5 * seconds <= batch.seconds(s) <= 2 * seconds, (members, batch.seconds(s))
    assert batch.mem_mb(dataclasses.replace(NATIONAL, members=100)) > batch.mem_mb(NATIONAL)
