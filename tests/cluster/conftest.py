"""The SLURM tests: a real single-node SLURM (tools/local_slurm.sh, with accounting so that
`sacct` works as on a production cluster) running the test configuration through the shipped
profile, and then a deliberately failing job.

As soon as the session has collected them, tests/cluster/slurm_run.py is started in the
background (once per session, whichever pytest-xdist worker collects first: tests/runs.py):
it starts the cluster and submits the run and the failing job, so that all of it overlaps the
rest of the suite (its polling and queueing leave the CPUs idle for long stretches).  The
cluster is stopped when the session ends (tests/runs.py).  These tests are moved to the end
of the session and wait for it.  If SLURM cannot be started, they fail: they are never
skipped.  What they measured (job counts, times, the output comparison) is printed at the
end of the session, in the CI log."""

import sys
from pathlib import Path

import pytest
from runs import start_once, wait_for

HERE = Path(__file__).resolve().parent
SLURM_RUN = [sys.executable, str(HERE / "slurm_run.py")]


def _is_cluster_item(item) -> bool:
    return Path(str(item.path)).resolve().parent == HERE


def pytest_collection_modifyitems(session, config, items):
    """Start the SLURM run (tests/conftest.py moves these tests to the end of the session)."""
    if any(_is_cluster_item(i) for i in items) and not config.option.collectonly:
        start_once(config, "slurm", SLURM_RUN)


@pytest.fixture(scope="session")
def slurm_run(request):
    """(runner's folder, its result), once the background run is over (30 minutes at most)."""
    start_once(request.config, "slurm", SLURM_RUN)  # when it was not collected first
    try:
        workdir, result = wait_for(request.config, "slurm", timeout=1800)
    except RuntimeError as e:
        pytest.fail(str(e))
    if result["stage"] == "start":
        pytest.fail(f"could not start SLURM (tools/local_slurm.sh needs root and Debian's packages):\n"
                    f"{(workdir / 'slurm.out').read_text()[-4000:]}")  # fmt: skip
    if result["returncode"] != 0:
        out = (workdir / "snakemake.out").read_text() if (workdir / "snakemake.out").exists() else ""
        pytest.fail(f"the SLURM run failed ({result}):\n{out[-8000:]}\n{(workdir / 'runner.err').read_text()[-3000:]}")
    return workdir, result
