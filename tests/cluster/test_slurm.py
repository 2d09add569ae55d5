"""The test configuration submitted to a real SLURM (tests/cluster/conftest.py) through the
shipped profile, edited only where docs/running.md tells a user to (partition, account):
its outputs equal the local run's, and a job that fails on the cluster tells the user why
(the SLURM log of the job and the rule's own log)."""

import re

import compare_results  # tools/ (tests/conftest.py puts it on the path)
import pytest

pytestmark = pytest.mark.workflow


def test_slurm_run_equals_the_local_run(slurm_run, test_run, ci_log):
    workdir, result = slurm_run
    wf, seconds, out = workdir / "wf", result["seconds"], (workdir / "snakemake.out").read_text()
    local, local_seconds = test_run
    jobs = re.findall(r"submitted with SLURM jobid (\d+)", out)
    steps = re.findall(r"(\d+) of (\d+) steps \(100%\) done", out)
    assert steps, out[-3000:]
    problems = compare_results.compare(local / "results/test", wf / "results/test")
    n = len(compare_results._files(local / "results/test"))
    ci_log(
        f"SLURM run: {steps[-1][1]} Snakemake jobs in {len(jobs)} SLURM jobs, {seconds:.0f} s wall; the local run "
        f"of the same configuration: {local_seconds:.0f} s (both alongside the rest of the suite)"
    )
    ci_log(
        f"output comparison: {n} files in results/test, "
        + ("all identical (timestamps aside)" if not problems else f"{len(problems)} differ: {problems[:10]}")
    )
    assert not problems, problems
    # SLURM's log of every job is kept where the rules' logs are; a healthy run has no noise
    assert len(list((wf / "logs/slurm").rglob("*.log"))) == len(jobs)
    for noise in ("invalid option", "Unable to guess SLURM account", "Detailed failure reason unavailable"):
        assert noise not in out, noise
    # light rules ran on the submitting host, short jobs went as groups
    submitted = re.findall(r"SLURM jobid \d+ \(log: .*?/logs/slurm/([^/]+)/", out)
    assert submitted and not any(s in ("rule_all", "rule_run_metadata", "rule_budget") for s in submitted), submitted
    assert any(s.startswith("group_align") for s in submitted) and any(s.startswith("group_year") for s in submitted)


def test_failing_job_says_why(slurm_run, ci_log):
    """A CASA job whose aligned NDVI store is broken fails on the cluster (submitted by the
    runner in a copy of the finished run, tests/cluster/slurm_run.py): the user sees that it
    failed, where SLURM's log of the job is, SLURM's exit cause from that log, and the rule's
    log, which names the store."""
    workdir, result = slurm_run
    out = (workdir / "failing.out").read_text()
    cause = [line.strip() for line in out.splitlines() if "InputError" in line]
    ci_log("deliberately failing job: " + (cause[0] if cause else "no cause printed"))
    assert result["failing_returncode"] not in (0, None), result
    assert re.search(r"logs/slurm/group_year_casa\w*/\d+\.log", out), out[-4000:]
    assert "logs/test/casa/2019.log" in out
    exit_cause = re.search(r"srun: error: .*Exited with exit code \d+", out)
    assert exit_cause, out[-4000:]
    ci_log("its exit cause, from the SLURM log printed with it: " + exit_cause.group(0))
    assert cause and "aligned/2019/ndvi.zarr: no variable 'ndvi'" in cause[0], out[-4000:]
