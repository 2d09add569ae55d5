"""A user's own data: the README's minimal config, byte-identical inputs, the demo stopped before it writes."""

import json
import re

import yaml
from conftest import ROOT, copy_workflow, snakemake
from helpers import TEST, planned_jobs

from carbonbalance.demo.manifest import sha256


def readme_config() -> tuple[str, dict]:
    """The minimal config of the README's "Using your own data", as written."""
    block = re.search(r"```yaml\n(# my\.yaml\n.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return block, yaml.safe_load(block)


def checksums(folder) -> dict:
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def user_workspace(test_run, dest):
    """A fresh workflow with the test run's generated inputs copied under the README's names."""
    import shutil

    text, cfg = readme_config()
    demo_cfg = yaml.safe_load((ROOT / "config/demo.yaml").read_text())
    dest.mkdir(parents=True)
    wf = copy_workflow(dest)
    pairs = [
        (demo_cfg["boundaries"]["path"], cfg["boundaries"]["path"]),
        (demo_cfg["statistics"]["path"], cfg["statistics"]["path"]),
    ]
    for var, spec in cfg["inputs"].items():
        months = (
            [{"month": m} for m in range(1, 13)]
            if var in ("ndvi", "temperature", "precipitation", "radiation")
            else [{}]
        )
        pairs += [
            (demo_cfg["inputs"][var]["path"].format(year=y, **m), spec["path"].format(year=y, **m))
            for y in cfg["years"]
            for m in months
        ]
    for a, b in pairs:
        (wf / b).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(test_run[0] / a, wf / b)
    (wf / "my.yaml").write_text(text)
    return wf, cfg


def test_readme_user_config_runs_from_schema_defaults_and_leaves_every_input_byte_identical(test_run, tmp_path):
    """The README's minimal config, as written, on the demo's files under other names: no demo
    value leaks in (the allocation is the schema's nightlight, not the demo's multisource), the
    outputs go below results/mystudy/, and with and without --forceall every input file stays
    byte-identical; a user config that switches the demo on is stopped before any job."""
    wf, cfg = user_workspace(test_run, tmp_path / "user")
    before = checksums(wf / "data")
    assert len(before) == 2 + 2 * (4 * 12 + 4)
    base = ["--cores", "2", "--configfile", "my.yaml"]
    for extra in ([], ["--forceall"]):
        jobs = planned_jobs(snakemake(wf, "-n", *base, *extra).stdout)
        assert "demo_inputs" not in jobs and jobs["emissions"] == 2 and jobs["budget"] == 3, jobs
    targets = [f"results/mystudy/tables/budget_{lvl}.csv" for lvl in ("county", "city", "province")]
    snakemake(wf, *targets, *base)
    assert checksums(wf / "data") == before
    snakemake(wf, "results/mystudy/tables/statistics.parquet", "results/mystudy/aligned/grid.json", *base, "--forceall")
    assert checksums(wf / "data") == before
    rec = json.loads((wf / "results/mystudy/meta/emissions_2020.json").read_text())["emissions"]["2020"]
    assert rec["method"] == "nightlight" and rec["max_relative_error_of_unit_sums"] < 1e-9  # the schema default
    assert sorted(p.name for p in (wf / "results").iterdir()) == ["mystudy"]
    assert sorted(p.name for p in (wf / "logs").iterdir()) == ["mystudy"]
    assert len(open(wf / "results/mystudy/tables/budget_county.csv").readlines()) == 2 * 38 + 1
    # switching the demo on in a user config: stopped while the workflow loads, nothing written
    (wf / "on.yaml").write_text("demo:\n  enabled: true\n")
    proc = snakemake(wf, "--cores", "2", "--configfile", "my.yaml", "on.yaml", "--forceall", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "demo.enabled is true, but these inputs lie outside demo.root" in text
    assert f"boundaries.path: {cfg['boundaries']['path']}" in text
    assert checksums(wf / "data") == before
    # grid bounds that miss the region, an empty boundaries layer: named while the workflow loads
    (wf / "far.yaml").write_text("grid:\n  bounds: [0, 0, 10000, 10000]\n")
    proc = snakemake(wf, "-n", *base, "far.yaml", check=False)
    assert (
        proc.returncode != 0
        and "grid.bounds: [0, 0, 10000, 10000] do not overlap the boundaries "
        "data/counties.gpkg, whose extent in the grid CRS is"
        in proc.stdout + proc.stderr
    )
    import geopandas as gpd

    gpd.read_file(wf / cfg["boundaries"]["path"]).iloc[:0].to_file(wf / "empty.gpkg", layer="counties")
    (wf / "empty.yaml").write_text("boundaries:\n  path: empty.gpkg\n")
    proc = snakemake(wf, "-n", *base, "empty.yaml", check=False)
    assert (
        proc.returncode != 0
        and "boundaries.path: empty.gpkg (layer counties) has no features" in proc.stdout + proc.stderr
    )


def test_demo_generator_is_stopped_at_load_time_by_a_file_it_did_not_create(tmp_path):
    """Snakemake deletes a job's outputs before running it, so the check runs while the
    workflow loads: a foreign file at a demo output path stops the run and stays as it was."""
    wf = copy_workflow(tmp_path)
    foreign = wf / "resources/demo/statistics.csv"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("my own statistics\n")
    for extra in (["-n"], ["--forceall"]):
        proc = snakemake(wf, *extra, "--cores", "2", "--configfile", *TEST, check=False)
        text = proc.stdout + proc.stderr
        assert proc.returncode != 0, text
        assert (
            "refusing to overwrite 1 file(s) the demo generator did not create: ['resources/demo/statistics.csv']"
            in text
            and ".carbonbalance-demo.json" in text
        )
    assert foreign.read_text() == "my own statistics\n"
