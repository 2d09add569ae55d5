"""`carbonbalance plan`: what a configuration will ask of a cluster, before its inputs exist."""

import re
import subprocess
import sys

import pytest
from conftest import copy_workflow

pytestmark = pytest.mark.workflow


def run_plan(wf, *args):
    # the demo's boundaries do not exist before its run: the grid's extent from grid.bounds
    (wf / "bounds.yaml").write_text("grid: {bounds: [600000, 3300000, 900000, 3600000]}\n")
    cmd = [sys.executable, "-m", "carbonbalance.cli", "plan", "config/demo.yaml", "config/test.yaml", "bounds.yaml",
           *args]  # fmt: skip
    proc = subprocess.run(cmd, cwd=wf, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def rows(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"^\| (\w+) \| (\d+) \| (\d+) \| ([\d,]+) \| ([\d.,]+) \| ([\d,]+) \| (\d+) \| ([\d.,]+) \|$",
                     line)  # fmt: skip
        if m:
            out[m.group(1)] = {"jobs": int(m.group(2)), "mem_mb": int(m.group(6).replace(",", ""))}
    return out


def test_plan_counts_the_jobs_of_the_years_asked_for_and_follows_the_grid(tmp_path):
    wf = copy_workflow(tmp_path)
    three = run_plan(wf, "--years", "2019-2021")
    assert "3 years" in three and "**total**" in three
    r3 = rows(three)
    assert r3["casa"]["jobs"] == 3 and r3["align_monthly"]["jobs"] == 12 and r3["spatial"]["jobs"] >= 1
    # the demo's boundaries are written by the workflow (not yet there): the plan never wrote them
    assert not (wf / "resources").exists() and not (wf / "results").exists()
    fine = rows(run_plan(wf, "--years", "2019-2021", "--resolution", "250"))
    assert fine["casa"]["mem_mb"] > r3["casa"]["mem_mb"]
    assert fine["budget"]["mem_mb"] == r3["budget"]["mem_mb"]
