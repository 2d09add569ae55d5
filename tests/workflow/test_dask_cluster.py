"""The raster rules on a dask distributed cluster (config ``dask.scheduler``) give the same
files as on the threaded scheduler."""

import shutil

import compare_results  # tools/ (tests/conftest.py puts it on the path)
import pytest
from conftest import snakemake
from helpers import TEST, planned_jobs

pytestmark = pytest.mark.workflow


def test_casa_and_emissions_on_a_local_cluster_equal_the_threaded_run(test_run, tmp_path):
    """CASA and the emission allocation of 2019 made again on a LocalCluster of two worker
    processes: every file of both equals the threaded run's (the in-process writers get the
    blocks the workers computed); switching the scheduler alone reruns no computation."""
    wf, _ = test_run
    copy = tmp_path / "wf"
    shutil.copytree(wf, copy, symlinks=True)
    args = ["--cores", "2", "--configfile", *TEST, "--config", "dask={scheduler: local}"]
    out = snakemake(copy, "-n", *args).stdout
    # an execution setting, not a parameter: only the record of the run's config is made again
    assert set(planned_jobs(out)) <= {"all", "run_metadata"}, out[-2000:]
    year = copy / "results/test/grid/2019"
    made = sorted(p.name for p in year.iterdir() if p.name.startswith(("emissions", "npp", "rh", "nep", "seq", "casa")))
    assert "casa_monthly.zarr" in made and "emissions.tif" in made, made
    for name in made:
        (shutil.rmtree if (year / name).is_dir() else lambda p: p.unlink())(year / name)
    snakemake(copy, *(f"results/test/grid/2019/{name}" for name in made), *args)  # targets before --config
    for rule in ("casa", "emissions"):
        log = (copy / f"logs/test/{rule}/2019.log").read_text()
        assert "LocalCluster of 2 worker processes" in log, log[-2000:]
    problems = compare_results.compare(wf / "results/test/grid/2019", year)
    assert not problems, problems
    assert sorted(p.name for p in year.iterdir()) == sorted(p.name for p in (wf / "results/test/grid/2019").iterdir())
