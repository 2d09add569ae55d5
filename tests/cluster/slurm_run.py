"""Start a single-node SLURM (tools/local_slurm.sh, with accounting), run the test
configuration through the shipped SLURM profile in a fresh copy of the workflow, then a
deliberately failing CASA job in a copy of the finished run.

    python tests/cluster/slurm_run.py WORKDIR

The test session starts this in the background as soon as it has collected the SLURM tests
(tests/cluster/conftest.py, tests/runs.py), so that the cluster work overlaps the rest of the
suite; the tests then wait for it.  Writes WORKDIR/result.json: {"stage", "returncode",
"seconds", "failing_returncode"}, with the Snakemake output of the run in
WORKDIR/snakemake.out, that of the failing job in WORKDIR/failing.out and the cluster's in
WORKDIR/slurm.out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from runs import TEST, copy_workflow, write_result  # noqa: E402

SCRIPT = ROOT / "tools" / "local_slurm.sh"
ENV = {**os.environ, "LOCAL_SLURM_ACCOUNTING": "1", "NUMBA_NUM_THREADS": "1"}
#: the failing job: CASA of 2019 with its aligned NDVI store broken
BROKEN = "results/test/aligned/2019/ndvi.zarr/ndvi"


def slurm(command: str, out, timeout: int = 900) -> int:
    """``tools/local_slurm.sh command``; its output appended to ``out``."""
    cmd = ["bash", str(SCRIPT), command]
    return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=ENV, timeout=timeout).returncode


def adapt_profile(wf: Path) -> None:
    """The two EDIT lines of profiles/slurm/config.yaml, as a user of this cluster sets them."""
    prof = wf / "profiles/slurm/config.yaml"
    text = prof.read_text()
    text, n1 = re.subn(r"(?m)^  slurm_partition: \S+", "  slurm_partition: debug", text)
    text, n2 = re.subn(r"(?m)^  # slurm_account: \S+", "  slurm_account: ci", text)
    if (n1, n2) != (1, 1):
        raise SystemExit("the profile's EDIT lines moved: update docs/running.md and tests/cluster/slurm_run.py")
    prof.write_text(text)


def submit(wf: Path, *args: str, timeout: int = 1500) -> list[str]:
    """The command line of `snakemake --workflow-profile profiles/slurm ...` (SIGTERM does not
    stop a Snakemake that waits on cluster jobs: ``timeout -k``)."""
    return ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake", "--workflow-profile",
            "profiles/slurm", *args]  # fmt: skip


def main(workdir: Path) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    result = {"stage": "start", "returncode": None, "seconds": None, "failing_returncode": None}
    try:
        with open(workdir / "slurm.out", "w") as out:
            if slurm("start", out) != 0 or slurm("selftest", out, timeout=120) != 0:
                result["returncode"] = 1
                return 1
        result["stage"] = "run"
        wf = copy_workflow(workdir / "wf")
        adapt_profile(wf)
        t0 = time.time()
        with open(workdir / "snakemake.out", "w") as out:
            cmd = submit(wf, "--configfile", *TEST)
            proc = subprocess.run(cmd, cwd=wf, stdout=out, stderr=subprocess.STDOUT, env=ENV)
        result.update(returncode=proc.returncode, seconds=round(time.time() - t0, 1))
        if proc.returncode == 0:
            result["stage"] = "failing"
            failing = workdir / "failing"
            shutil.copytree(wf, failing, symlinks=True)
            shutil.rmtree(failing / BROKEN)
            cmd = submit(failing, "--configfile", *TEST, "--forcerun", "casa", "--until", "casa", timeout=600)
            with open(workdir / "failing.out", "w") as out:
                proc = subprocess.run(cmd, cwd=failing, stdout=out, stderr=subprocess.STDOUT, env=ENV)
            result.update(stage="done", failing_returncode=proc.returncode)
        return result["returncode"]
    finally:  # the session stops the cluster at its end (tests/runs.py: stop_services)
        write_result(workdir, result)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
