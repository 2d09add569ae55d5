"""The raster rules on a dask distributed cluster (config ``dask.scheduler``) give the same
files as on the threaded scheduler."""

import shutil

import compare_results  # tools/ (tests/conftest.py puts it on the path)
import pytest
from conftest import snakemake
from helpers import TEST

pytestmark = pytest.mark.workflow


def test_casa_and_emissions_on_a_local_cluster_equal_the_threaded_run(test_run, tmp_path):
    wf, _ = test_run
    copy = tmp_path / "wf"
    shutil.copytree(wf, copy, symlinks=True)
    grids = copy / "results/test/grid"
    shutil.rmtree(grids)  # the CASA and emission grids of both years, made again below
    args = ["--cores", "2", "--configfile", *TEST, "--config", "dask={scheduler: local}"]
    out = snakemake(copy, "-n", *args).stdout
    # the scheduler is an execution setting: switching it reruns only what is missing
    planned = {line.split()[0] for line in out.splitlines() if line.split()[-1:] and line.split()[-1].isdigit()}
    assert {"casa", "emissions"} <= planned, out
    snakemake(copy, *args, "--until", "casa", "emissions")
    for rule in ("casa", "emissions"):
        log = (copy / f"logs/test/{rule}/2019.log").read_text()
        assert "LocalCluster of 2 worker processes" in log, log[-2000:]
    problems = compare_results.compare(wf / "results/test/grid", grids)
    assert not problems, problems
    names = sorted(p.name for p in (wf / "results/test/grid").rglob("*.tif"))
    assert sorted(p.name for p in grids.rglob("*.tif")) == names and names
