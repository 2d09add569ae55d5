"""Benchmark of an ensemble's CASA members on the national grid (issue 21, SPEC §9).

Members that differ from the run only in εmax (Monte Carlo draws, one-at-a-time ends) share
one CASA pass per year (rule ``ensemble_casa_batch``, :func:`carbonbalance.casa.stage.run_casa_members`):
the chunks are read and run through the kernel once, and every member's εmax is applied to the
kept monthly terms. Against it: the casa rule's own path (:func:`run_casa_year`, which also
writes the monthly Zarr store) once per member, as 100 separate runs of the casa rule would.

Each path runs in its own process under ``/usr/bin/time -v`` (peak RSS is the process
high-water mark). The separate runs are ``--separate`` runs with the first members' εmax,
timed one by one; 100 separate runs cost ``members`` times their mean (they are identical
work: the same inputs, only εmax differs). The first members' rasters of the batch are
checked to equal those separate runs bit for bit. Needs the national benchmark's aligned
stores of the year (``national.py generate`` and ``run``; made here when missing).

    python benchmarks/ensemble.py --workdir /tmp/carbonbalance-national --year 2019 --members 100

The last line is ``ensemble_casa_seconds_vs_separate=<batch s / (members x separate s)>``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _setup(workdir: Path, year: int):
    """(paths, grid, params, classes, units path) of the national run's CASA for ``year``."""
    import yaml

    from carbonbalance.casa.params import CasaParams
    from carbonbalance.core.config import fill_defaults, load_schema, normalise
    from carbonbalance.core.grid import GridSpec

    cfg = normalise(yaml.safe_load((workdir / "national.yaml").read_text()))
    fill_defaults(cfg, load_schema(ROOT / "workflow/schemas/config.schema.yaml"))
    res = workdir / "results" / cfg["run_name"]
    paths = {v: str(res / f"aligned/{year}/{v}.zarr") for v in ("ndvi", "temperature", "precipitation", "radiation",
                                                                 "landcover")}  # fmt: skip
    paths["cell_area"] = str(res / "aligned/cell_area.zarr")
    grid = GridSpec.from_json(res / "aligned/grid.json")
    return (
        paths,
        grid,
        CasaParams.from_config(cfg["casa"]),
        cfg["landcover_classes"],
        str(res / "boundaries/units.gpkg"),
    )


def draws(params, n: int, seed: int) -> list[dict]:
    """εmax of ``n`` members: every type's value times U(0.85, 1.15), as ``casa.eps_max:
    {distribution: uniform, relative: 0.15}`` draws them."""
    rng = random.Random(seed)
    return [{t: rng.uniform(0.85 * v, 1.15 * v) for t, v in sorted(params.eps_max.items())} for _ in range(n)]


def _separate(workdir: Path, year: int, members: int, seed: int, k: int, out: Path, threads: int) -> None:
    import dataclasses

    from carbonbalance.casa.stage import run_casa_year

    paths, grid, params, classes, units = _setup(workdir, year)
    eps = draws(params, members, seed)[k]
    p = dataclasses.replace(params, eps_max=eps)
    outputs = {q: str(out / f"{q}.tif") for q in ("npp", "rh", "nep", "sequestration")} | {
        "monthly": str(out / "casa_monthly.zarr")
    }
    t0 = time.perf_counter()
    run_casa_year(paths, grid, p, classes, year, outputs, units_path=units, threads=threads)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def _batch(workdir: Path, year: int, members: int, seed: int, out: Path, threads: int) -> None:
    from carbonbalance.casa.stage import run_casa_members

    paths, grid, params, classes, units = _setup(workdir, year)
    eps = {f"draw{k + 1:03d}": e for k, e in enumerate(draws(params, members, seed))}
    outputs = {m: {q: str(out / m / f"{q}.tif") for q in ("npp", "nep", "sequestration")} for m in eps}
    for m in eps:
        (out / m).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    run_casa_members(paths, grid, params, classes, year, eps, outputs, units_path=units, threads=threads)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def _timed(args: list[str]) -> tuple[dict, float]:
    """(the JSON the subprocess printed last, its peak RSS in MB from /usr/bin/time -v)."""
    cmd = ["/usr/bin/time", "-v", sys.executable, __file__, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    peak = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    return json.loads(proc.stdout.strip().splitlines()[-1]), peak


def _same(a: Path, b: Path) -> bool:
    import numpy as np
    import rasterio

    with rasterio.open(a) as x, rasterio.open(b) as y:
        return bool(np.array_equal(x.read(1), y.read(1), equal_nan=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", nargs="?", default="bench", choices=["bench", "_separate", "_batch"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/carbonbalance-national"))
    ap.add_argument("--year", type=int, default=2019)
    ap.add_argument("--members", type=int, default=100)
    ap.add_argument("--separate", type=int, default=3, help="separate casa runs timed (the first members)")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--k", type=int, default=0)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    if a.mode == "_separate":
        return _separate(a.workdir, a.year, a.members, a.seed, a.k, a.out, a.threads)
    if a.mode == "_batch":
        return _batch(a.workdir, a.year, a.members, a.seed, a.out, a.threads)
    res = a.workdir / "results/national"
    if not (res / f"aligned/{a.year}/ndvi.zarr").exists():
        sys.path.insert(0, str(HERE))
        import national

        targets = [f"results/national/aligned/{a.year}/{v}.zarr" for v in ("ndvi", "temperature", "precipitation",
                                                                           "radiation", "landcover")]  # fmt: skip
        national.run(a.workdir, a.threads, targets + ["results/national/boundaries/units.gpkg"], figures=False)
    common = ["--workdir", str(a.workdir), "--year", str(a.year), "--members", str(a.members), "--seed",
              str(a.seed), "--threads", str(a.threads)]  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="ensemble-bench-", dir=a.workdir))
    try:
        separate = []
        for k in range(a.separate):
            out = tmp / f"separate{k}"
            out.mkdir()
            rec, peak = _timed(["_separate", *common, "--k", str(k), "--out", str(out)])
            separate.append((rec["seconds"], peak))
            shutil.rmtree(out / "casa_monthly.zarr")
            print(f"separate casa run {k + 1}/{a.separate}: {rec['seconds']:.1f} s, peak {peak:.0f} MB", flush=True)
        rec, batch_peak = _timed(["_batch", *common, "--out", str(tmp / "batch")])
        batch_s = rec["seconds"]
        print(f"batch of {a.members} members: {batch_s:.1f} s, peak {batch_peak:.0f} MB", flush=True)
        for k in range(a.separate):
            for q in ("npp", "nep", "sequestration"):
                a_path, b_path = tmp / f"separate{k}/{q}.tif", tmp / f"batch/draw{k + 1:03d}/{q}.tif"
                if not _same(a_path, b_path):
                    raise SystemExit(f"member draw{k + 1:03d}: {q} differs from its separate casa run")
        print(f"the first {a.separate} members' NPP, NEP and sequestration equal their separate runs bit for bit")
        disk = sum(f.stat().st_size for f in (tmp / "batch").rglob("*.tif")) / 1e6
        one = sum(s for s, _ in separate) / len(separate)
        print(
            f"one separate casa run: {one:.1f} s (mean of {len(separate)}), peak {max(p for _, p in separate):.0f} MB"
        )
        print(f"{a.members} separate runs: {a.members * one:.0f} s; one batch: {batch_s:.0f} s "
              f"({batch_s / a.members:.2f} s and {disk / a.members:.0f} MB of rasters per member)")  # fmt: skip
        print(f"ensemble_casa_seconds_vs_separate={batch_s / (a.members * one):.3f} batch_peak_mb={batch_peak:.0f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
