"""A real single-node SLURM cluster for the tests of this folder (tools/local_slurm.sh, with
accounting so that `sacct` works as on a production cluster), started once per session and
stopped at its end.  If it cannot be started the tests fail: they are never skipped.

What the SLURM tests measured (job counts, times, the output comparison) is printed at the
end of the test session, so that it stands in the CI log."""

import os
import subprocess

import pytest
from helpers import ROOT

SCRIPT = ROOT / "tools" / "local_slurm.sh"


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


def _slurm(command: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCAL_SLURM_ACCOUNTING": "1"}
    return subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running single-node SLURM with slurmdbd (partition debug, account ci)."""
    started = _slurm("start")
    if started.returncode != 0:
        pytest.fail(f"could not start SLURM with {SCRIPT} (root, Debian's packages):\n{started.stderr[-3000:]}")
    check = _slurm("selftest", timeout=120)
    if check.returncode != 0:
        pytest.fail(f"SLURM started but its self-test failed:\n{check.stderr[-3000:]}")
    yield
    _slurm("stop", timeout=120)
