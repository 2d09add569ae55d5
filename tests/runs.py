"""Whole-workflow runs that the test session starts in the background.

The local run of the test configuration (``test_run``, shared by the workflow, ensemble and
SLURM tests) and the SLURM run (tests/cluster/) take minutes each, mostly Python start-ups
and waits.  Each is started once per test session as soon as the tests that need it are
collected, as a separate process, so that it overlaps the unit tests; the fixtures then wait
for its ``result.json``.  With pytest-xdist (``make test`` runs two workers) every worker
collects, the first to create the run's folder starts it and any worker may wait for it.

    python tests/runs.py local WORKDIR

runs the test configuration in a fresh copy of the workflow (WORKDIR/wf) and writes
WORKDIR/result.json: {"returncode", "seconds"}, with Snakemake's output in
WORKDIR/snakemake.out.  This module is imported by the runners too: standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = ["config/demo.yaml", "config/test.yaml"]  # the test run: the demo region, coarse and short
ENV = {**os.environ, "NUMBA_NUM_THREADS": "1"}


def copy_workflow(dest: Path) -> Path:
    """A fresh copy of the workflow (what a user clones), without results."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in ("Snakefile", "workflow", "config", "profiles", "envs"):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / item)
    return dest


def write_result(workdir: Path, result: dict) -> None:
    """result.json, renamed into place when complete (other processes poll for it)."""
    tmp = workdir / "result.json.tmp"
    tmp.write_text(json.dumps(result))
    tmp.replace(workdir / "result.json")


# --- in the test session -------------------------------------------------------------------


def _shared_root(config) -> Path:
    """A folder common to every process of this test session: below the session's temporary
    folder, which an xdist worker's basetemp (<session temp>/<worker>) lies in."""
    if hasattr(config, "workerinput"):
        root = Path(config.option.basetemp).parent / "background"
    else:  # the only process, or xdist's controller
        root = config._tmp_path_factory.getbasetemp() / "background"
    root.mkdir(parents=True, exist_ok=True)
    return root


def start_once(config, name: str, argv: list[str]) -> Path:
    """Start ``argv + [workdir]`` unless a process of this session already did; the workdir."""
    workdir = _shared_root(config) / name
    try:
        workdir.mkdir()
    except FileExistsError:
        return workdir
    with open(workdir / "runner.err", "w") as err:  # the child keeps its own handle
        proc = subprocess.Popen([*argv, str(workdir)], stdout=subprocess.DEVNULL, stderr=err, env=ENV)
    (workdir / "runner.pid").write_text(str(proc.pid))
    if not hasattr(config, "background_runs"):
        config.background_runs = {}
    config.background_runs[name] = proc
    return workdir


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for(config, name: str, timeout: float = 1800) -> tuple[Path, dict]:
    """(workdir, result) of the background run ``name`` once it has written result.json;
    raises RuntimeError naming its stderr when it was not started, stopped early or hung."""
    workdir = _shared_root(config) / name
    end = time.time() + timeout
    while True:
        if (workdir / "result.json").exists():
            return workdir, json.loads((workdir / "result.json").read_text())
        pid_file = workdir / "runner.pid"
        err = workdir / "runner.err"
        if not workdir.exists():
            raise RuntimeError(f"the background run {name!r} was not started at collection")
        if pid_file.exists() and not _alive(int(pid_file.read_text())):
            time.sleep(1)  # it may have written its result while we looked
            if not (workdir / "result.json").exists():
                raise RuntimeError(f"the background run {name!r} stopped early:\n{err.read_text()[-4000:]}")
        if time.time() > end:
            raise RuntimeError(f"the background run {name!r} did not finish in {timeout:.0f} s ({workdir})")
        time.sleep(2)


def finish(config, interrupted: bool, timeout: float = 1800) -> list[str]:
    """At the end of the session of the process that started them: wait for the background
    runs (another worker may still be waiting for them), or stop them when the session was
    interrupted; the names of those that had to be stopped."""
    stopped = []
    for name, proc in getattr(config, "background_runs", {}).items():
        if not interrupted:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            stopped.append(name)
    return stopped


def stop_services(config) -> None:
    """At the very end of the session (its only process, or xdist's controller once every
    worker is done): stop the single-node SLURM that the SLURM run started.  Not earlier: while
    slurm.conf exists and no controller answers, every Snakemake start waits 10 s for the
    SLURM executor plugin's `scontrol show config`."""
    if not hasattr(config, "workerinput") and (_shared_root(config) / "slurm").exists():
        subprocess.run(["bash", str(ROOT / "tools/local_slurm.sh"), "stop"], capture_output=True, timeout=120)


# --- the local run -------------------------------------------------------------------------


def local_run(workdir: Path) -> int:
    result = {"returncode": None, "seconds": None}
    try:
        wf = copy_workflow(workdir / "wf")
        t0 = time.time()
        with open(workdir / "snakemake.out", "w") as out:
            cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", *TEST]
            proc = subprocess.run(cmd, cwd=wf, stdout=out, stderr=subprocess.STDOUT, env=ENV, timeout=1500)
        result.update(returncode=proc.returncode, seconds=round(time.time() - t0, 1))
    finally:
        write_result(workdir, result)
    return result["returncode"]


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "local":
        raise SystemExit("usage: python tests/runs.py local WORKDIR")
    sys.exit(local_run(Path(sys.argv[2])))
