"""Benchmark of the grid Getis-Ord Gi* (SPEC §7) on a China-size 1 km grid.

A 4800 x 4300 grid (~20 M cells, about half nodata outside an irregular land mask) of
lognormal emissions with a few hot clusters; Gi* with a circular 10 km distance band
(317 cells per window) by :func:`carbonbalance.spatial.getis_ord_grid` (FFT window sums).
A weights-object approach (libpysal DistanceBand + esda.G_Local) would need about 6
billion neighbour entries here and cannot be built; its time on a 200 x 200 excerpt is
printed for scale (100 x 100 cells from the middle), with the agreement there.

    python benchmarks/spatial.py                        # 4800 x 4300, 10 km
    python benchmarks/spatial.py --rows 300 --cols 200  # quick smoke run

The Gi* step also runs alone in a child process, as the rule runs it, and its peak memory
(the process high-water mark, ``ru_maxrss`` of the child: what ``/usr/bin/time -v``
reports) is printed; the target is 1 GB for the national grid.

The last line is ``gi_grid_seconds=<s> gi_grid_peak_mb=<MB>``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic(rows: int, cols: int, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols].astype("float32")
    y /= rows
    x /= cols
    land = ((x - 0.52) / 0.43) ** 2 + ((y - 0.5) / 0.40) ** 2 < 0.8
    a = rng.lognormal(0.0, 1.0, (rows, cols)).astype("float64")
    for cy, cx in rng.random((12, 2)):
        a += 40 * np.exp(-(((y - cy) ** 2 + (x - cx) ** 2) / 0.0004))
    a[~land] = np.nan
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4800)
    ap.add_argument("--cols", type=int, default=4300)
    ap.add_argument("--cell", type=float, default=1000.0)
    ap.add_argument("--distance", type=float, default=10_000.0)
    args = ap.parse_args()

    from carbonbalance.spatial.hotspots import disc_kernel, getis_ord_grid

    a = synthetic(args.rows, args.cols)
    k = int(disc_kernel(args.cell, args.distance).sum())
    print(
        f"grid Gi*: {args.rows} x {args.cols} cells ({int(np.isfinite(a).sum())} valid), distance "
        f"{args.distance:g} m = {k} cells per window",
        flush=True,
    )
    t0 = time.perf_counter()
    z = getis_ord_grid(a, args.cell, args.distance)
    seconds = time.perf_counter() - t0
    hot = int((z >= 2.5758).sum())
    print(f"grid Gi*: {seconds:.2f} s; {hot} cells hot at 99 %", flush=True)
    # scale and agreement: the weights-object route on an excerpt
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    r0, c0 = max(0, args.rows // 2 - 50), max(0, args.cols // 2 - 50)
    sub = a[r0 : r0 + 100, c0 : c0 + 100]  # from the middle of the land
    rows, cols = np.nonzero(np.isfinite(sub))
    pts = np.column_stack([cols * args.cell, rows * args.cell])
    t0 = time.perf_counter()
    w = DistanceBand(pts, threshold=args.distance * (1 + 1e-9), binary=True, silence_warnings=True)
    ref = G_Local(sub[rows, cols], w, transform="B", star=True, permutations=0).Zs
    t_ref = time.perf_counter() - t0
    zs = getis_ord_grid(sub, args.cell, args.distance)[rows, cols]
    print(
        f"excerpt {sub.shape[0]} x {sub.shape[1]}: libpysal + esda {t_ref:.2f} s "
        f"({w.s0:.0f} neighbour entries); max |z - esda| = {np.max(np.abs(zs - ref)):.1e}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "grid.npy", a)
        del a, z
        child = (
            "import numpy as np; from carbonbalance.spatial.hotspots import getis_ord_grid; "
            f"getis_ord_grid(np.load({str(Path(tmp) / 'grid.npy')!r}), {args.cell}, {args.distance})"
        )
        subprocess.run([sys.executable, "-c", child], check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"grid Gi* alone (reading the grid included): peak {peak:.0f} MB")
    print(f"gi_grid_seconds={seconds:.2f} gi_grid_peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()
