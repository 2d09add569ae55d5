"""The test configuration submitted to a real SLURM (tests/cluster/conftest.py) through the
shipped profile, edited only where docs/running.md tells a user to (partition, account):
its outputs equal the local run's, and a job that fails on the cluster tells the user why
(the SLURM state and exit code, and the rule's own log)."""

import re
import shutil
import subprocess
import sys
import time

import compare_results  # tools/ (tests/conftest.py puts it on the path)
import pytest
from conftest import copy_workflow
from helpers import TEST

pytestmark = pytest.mark.workflow


def adapt_profile(wf):
    """The two EDIT lines of profiles/slurm/config.yaml, as a user of this cluster sets them."""
    prof = wf / "profiles/slurm/config.yaml"
    text = prof.read_text()
    text, n1 = re.subn(r"(?m)^  slurm_partition: \S+", "  slurm_partition: debug", text)
    text, n2 = re.subn(r"(?m)^  # slurm_account: \S+", "  slurm_account: ci", text)
    assert n1 == 1 and n2 == 1, "the profile's EDIT lines moved: update docs/running.md and this test"
    prof.write_text(text)


def submit(wf, *args, timeout=900):
    """`snakemake --workflow-profile profiles/slurm ...` in ``wf`` (SIGTERM does not stop a
    Snakemake that waits on cluster jobs: timeout -k)."""
    cmd = ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake", "--workflow-profile",
           "profiles/slurm", *args]  # fmt: skip
    return subprocess.run(cmd, cwd=wf, capture_output=True, text=True)


def slurm_jobs(stdout: str) -> list[str]:
    return re.findall(r"submitted with SLURM jobid (\d+)", stdout)


@pytest.fixture(scope="session")
def slurm_run(slurm_cluster, tmp_path_factory):
    """(workflow folder, seconds, completed process) of the test configuration on SLURM."""
    wf = copy_workflow(tmp_path_factory.mktemp("slurm_wf"))
    adapt_profile(wf)
    t0 = time.time()
    proc = submit(wf, "--configfile", *TEST)
    seconds = time.time() - t0
    if proc.returncode != 0:
        pytest.fail(f"the SLURM run failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
    return wf, seconds, proc


def test_slurm_run_equals_the_local_run(slurm_run, test_run, report):
    wf, seconds, proc = slurm_run
    local, local_seconds = test_run
    out = proc.stdout + proc.stderr
    jobs = slurm_jobs(out)
    steps = re.findall(r"(\d+) of (\d+) steps \(100%\) done", out)
    assert steps, out[-3000:]
    problems = compare_results.compare(local / "results/test", wf / "results/test")
    n = len(compare_results._files(local / "results/test"))
    report.extend(
        [
            f"SLURM run: {steps[-1][1]} Snakemake jobs in {len(jobs)} SLURM jobs (sbatch), {seconds:.0f} s wall; "
            f"the local run of the same configuration: {local_seconds:.0f} s ({seconds / local_seconds:.2f}x)",
            f"output comparison: {n} files in results/test, "
            + ("all identical (timestamps aside)" if not problems else f"{len(problems)} differ: {problems[:10]}"),
        ]
    )
    assert not problems, problems
    # every job's SLURM log is kept where the rules' logs are, and a healthy run prints no noise
    assert len(list((wf / "logs/slurm").rglob("*.log"))) == len(jobs)
    for noise in ("invalid option", "Unable to guess SLURM account", "Detailed failure reason unavailable"):
        assert noise not in out, noise
    # light rules ran on the submitting host, short jobs went as groups
    submitted = re.findall(r"SLURM jobid \d+ \(log: .*/logs/slurm/([^/]+)/", out)
    assert not any(s.startswith("rule_") and s[5:] in ("all", "run_metadata", "budget") for s in submitted)
    assert any(s.startswith("group_align") for s in submitted)


def test_failing_job_says_why(slurm_run, report):
    """A CASA job whose aligned NDVI store is broken fails on the cluster: the user sees the
    SLURM state and exit code of the job and the rule's log, which names the store."""
    wf, _, _ = slurm_run
    broken = wf / "results/test/aligned/2019/ndvi.zarr"
    shutil.rmtree(broken / "ndvi")
    proc = submit(wf, "--configfile", *TEST, "--forcerun", "casa", "--until", "casa", timeout=300)
    out = proc.stdout + proc.stderr
    report.append(
        "deliberately failing job: "
        + next((line.strip() for line in out.splitlines() if "SLURM status is" in line), "no SLURM status line")
    )
    assert proc.returncode != 0
    assert "SLURM status is: 'FAILED'" in out, out[-4000:]
    assert re.search(r"exit code 1\b", out), out[-4000:]
    assert "logs/test/casa/2019.log" in out
    assert "aligned/2019/ndvi.zarr" in out
