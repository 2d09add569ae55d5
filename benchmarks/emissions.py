"""Benchmark of the mass-conserving allocation (SPEC §4) on a China-size grid.

A 4800 x 4300 grid (~20 M cells) split into ~31 provinces (irregular blobs, about half
of the grid outside every unit) with night-light and population weights (some
provinces dark, so the fallback is exercised).  Timed in the same run:

- ``kernel``: :func:`carbonbalance.allocation.allocate` — two chunked numba passes
  (weight sums per unit, then allocation) driven by dask on ``--threads`` threads;
- ``naive``: the straightforward loop, for each unit: a boolean mask of its cells,
  the sum of its weights, then ``out[mask] = total * w[mask] / sum``.

Both results are compared; the last line is ``emissions_speedup_vs_naive=<x>``.

    python benchmarks/emissions.py                     # 4800 x 4300, 31 units
    python benchmarks/emissions.py --rows 300 --cols 200   # quick smoke run
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def synthetic(rows: int, cols: int, n_units: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols].astype("float32")
    y /= rows
    x /= cols
    land = ((x - 0.52) / 0.43) ** 2 + ((y - 0.5) / 0.40) ** 2 + 0.15 * np.sin(9 * x) * np.cos(7 * y) < 0.8
    seeds = rng.random((n_units, 2)).astype("float32")
    labels = np.full((rows, cols), -1, dtype="int32")
    best = np.full((rows, cols), np.inf, dtype="float32")
    for u, (sy, sx) in enumerate(seeds):  # Voronoi provinces
        d = (y - sy) ** 2 + (x - sx) ** 2
        closer = d < best
        labels[closer] = u
        best[closer] = d[closer]
    labels[~land] = -1
    light = (rng.gamma(0.4, 8.0, (rows, cols)) * (rng.random((rows, cols)) > 0.3)).astype("float32")
    dark = rng.choice(n_units, 2, replace=False)
    light[np.isin(labels, dark)] = 0.0
    pop = rng.gamma(1.0, 300.0, (rows, cols)).astype("float32")
    area = np.full((rows, cols), 1e6, dtype="float32")
    totals = rng.uniform(1e7, 8e8, n_units)
    totals[~np.isin(np.arange(n_units), labels)] = np.nan  # seeds at sea: no cells, no total
    return labels, {"light": light, "population": pop, "area": area}, totals


def naive(labels, weights, totals):
    out = np.zeros(labels.shape, dtype="float64")
    for u, total in enumerate(totals):
        if not np.isfinite(total):
            continue
        m = labels == u
        for w in weights.values():
            s = w[m].sum(dtype="float64")
            if s > 0:
                out[m] = total * w[m] / s
                break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4800)
    ap.add_argument("--cols", type=int, default=4300)
    ap.add_argument("--units", type=int, default=31)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from carbonbalance.allocation import allocate

    labels, weights, totals = synthetic(args.rows, args.cols, args.units)
    print(f"allocation benchmark: {args.rows} x {args.cols} cells, {int(np.isfinite(totals).sum())} units, "
          f"{int((labels >= 0).sum())} cells inside units, chunk {args.chunk}, {args.threads} thread(s)", flush=True)
    small = slice(0, 64)  # compile (or load the cache) outside the timing
    present = np.isin(np.arange(args.units), labels[small, small])
    allocate(labels[small, small], {k: v[small, small] for k, v in weights.items()},
             np.where(present, totals, np.nan), chunk=32)
    k_times, n_times = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        grid, rec = allocate(labels, weights, totals, chunk=args.chunk, threads=args.threads)
        k_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = naive(labels, weights, totals)
        n_times.append(time.perf_counter() - t0)
    diff = float(np.max(np.abs(grid - ref)) / np.max(ref))
    sums = np.bincount(labels[labels >= 0], weights=grid[labels >= 0], minlength=args.units)
    has = np.isfinite(totals)
    cons = float(np.max(np.abs(sums[has] - totals[has]) / totals[has]))
    print(f"kernel: best of {[round(t, 2) for t in k_times]} = {min(k_times):.2f} s; "
          f"fallbacks {rec['fallback_units']}", flush=True)
    print(f"naive per-unit mask loop: best of {[round(t, 2) for t in n_times]} = {min(n_times):.2f} s", flush=True)
    print(f"max |kernel - naive| / max = {diff:.1e}; worst unit total error {cons:.1e} (relative)")
    print(f"emissions_speedup_vs_naive={min(n_times) / min(k_times):.2f}")


if __name__ == "__main__":
    main()
