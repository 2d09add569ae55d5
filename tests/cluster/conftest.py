"""The SLURM tests: a real single-node SLURM (tools/local_slurm.sh, with accounting so that
`sacct` works as on a production cluster) running the test configuration through the shipped
profile.

As soon as the session has collected them, the cluster is started and the run submitted in
the background (tests/cluster/slurm_run.py), and these tests are moved to the end of the
session, so that the cluster run overlaps the rest of the suite (its polling and queueing
leave the CPUs idle for long stretches).  The tests wait for it.  If SLURM cannot be
started, they fail: they are never skipped.  What they measured (job counts, times, the
output comparison) is printed at the end of the session, in the CI log."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from helpers import ROOT

HERE = Path(__file__).resolve().parent


def _is_cluster_item(item) -> bool:
    return Path(str(item.path)).resolve().parent == HERE


def pytest_collection_modifyitems(session, config, items):
    cluster = [i for i in items if _is_cluster_item(i)]
    if not cluster or hasattr(config, "slurm_background"):
        return
    items[:] = [i for i in items if not _is_cluster_item(i)] + cluster
    if config.option.collectonly:
        return
    workdir = Path(tempfile.mkdtemp(prefix="carbonbalance-slurm-"))
    with open(workdir / "runner.err", "w") as err:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "slurm_run.py"), str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "NUMBA_NUM_THREADS": "1"},
        )
    config.slurm_background = (proc, workdir, time.time())


def pytest_unconfigure(config):
    background = getattr(config, "slurm_background", None)
    if background is None:
        return
    proc, workdir, _ = background
    if proc.poll() is None:
        proc.terminate()
        proc.wait(30)
    subprocess.run(["bash", str(ROOT / "tools/local_slurm.sh"), "stop"], capture_output=True, timeout=120)


def pytest_terminal_summary(terminalreporter):
    lines = getattr(terminalreporter.config, "slurm_report", [])
    if lines:
        terminalreporter.section("SLURM run of the test configuration")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def report(request):
    """Lines for the session's closing summary (the CI log)."""
    if not hasattr(request.config, "slurm_report"):
        request.config.slurm_report = []
    return request.config.slurm_report


@pytest.fixture(scope="session")
def slurm_run(request):
    """(workflow folder, seconds of the SLURM run, its Snakemake output), once the background
    run is over (30 minutes at most)."""
    background = getattr(request.config, "slurm_background", None)
    assert background is not None, "the SLURM run was not started at collection"
    proc, workdir, _ = background
    try:
        proc.wait(timeout=1800)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the SLURM run did not finish in 30 minutes ({workdir})")
    result_file = workdir / "result.json"
    if not result_file.exists():
        pytest.fail(f"the SLURM runner stopped early:\n{(workdir / 'runner.err').read_text()[-4000:]}")
    result = json.loads(result_file.read_text())
    if result["stage"] == "start":
        pytest.fail(f"could not start SLURM (tools/local_slurm.sh needs root and Debian's packages):\n"
                    f"{(workdir / 'slurm.out').read_text()[-4000:]}")  # fmt: skip
    out = (workdir / "snakemake.out").read_text()
    if result["returncode"] != 0:
        pytest.fail(f"the SLURM run failed:\n{out[-8000:]}")
    return workdir / "wf", result["seconds"], out
