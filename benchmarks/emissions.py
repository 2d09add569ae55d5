"""Benchmark of the mass-conserving allocation (SPEC §4) on a China-size grid.

A 4800 x 4300 grid (~20 M cells) split into ~31 provinces (irregular blobs, about half
of the grid outside every unit) with night-light, population and cell-area weights (two
provinces dark, so the light -> population fallback is exercised), and a land-use
category raster (urban and industrial patches in rural land).  Timed in the same run,
for both methods of the emissions stage:

- ``nightlight``: each province total by light (fallback population, area);
- ``multisource``: each province total split 45/40/15 % into urban, industrial and
  rural parts; urban and industrial by light over their land-use cells, rural by
  population over rural cells (Zhu2026);

and for each:

- ``kernel``: :class:`carbonbalance.emissions.allocation.Allocation` — numba kernels over row
  bands on ``--threads`` threads (weight sums per unit and category, the fallback pass
  restricted to the units that need it, then the allocation);
- ``naive``: the straightforward loop, for each unit (and category): a boolean mask of
  its cells, the sum of its weights, then ``out[mask] = total * w[mask] / sum``.

Both write into one preallocated float64 output grid (as the stage streams blocks to
disk, neither is charged for first-touching 160 MB of fresh memory), and both results
are compared.  The last line is ``emissions_speedup_vs_naive=<x>``, the smaller of the
two methods' ratios.

    python benchmarks/emissions.py                         # 4800 x 4300, 31 units
    python benchmarks/emissions.py --rows 300 --cols 200   # quick smoke run
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

CATEGORIES = ("urban", "industrial", "rural")
SHARES = np.array([0.45, 0.40, 0.15])
CHAINS = {
    "nightlight": [["light", "population", "area"]],
    "multisource": [["light", "population", "area"], ["light", "population", "area"], ["population", "area"]],
}


def synthetic(rows: int, cols: int, n_units: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols].astype("float32")
    y /= rows
    x /= cols
    land = ((x - 0.52) / 0.43) ** 2 + ((y - 0.5) / 0.40) ** 2 + 0.15 * np.sin(9 * x) * np.cos(7 * y) < 0.8
    ly, lx = np.nonzero(land)
    pick = rng.choice(ly.size, n_units, replace=False)  # Voronoi seeds on land: every unit has cells
    seeds = np.stack([y[ly[pick], lx[pick]], x[ly[pick], lx[pick]]], axis=1)
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
    # land use: urban and industrial patches (a few km) in rural land
    coarse = rng.random((rows // 4 + 1, cols // 4 + 1))
    patches = np.repeat(np.repeat(coarse, 4, axis=0), 4, axis=1)[:rows, :cols]
    category = np.where(patches > 0.93, 0, np.where(patches > 0.86, 1, 2)).astype("int8")
    totals = rng.uniform(1e7, 8e8, n_units)
    totals[~np.isin(np.arange(n_units), labels)] = np.nan  # (only on tiny grids) no cells, no total
    return labels, {"light": light, "population": pop, "area": area}, category, totals


def naive(labels, weights, totals, chains, category=None, out=None):
    """Per unit (and category): boolean mask, weight sum of the first layer that has one, assign.

    A category without weighted cells in a unit is spread over all the unit's cells, as
    the stage does (``empty_category: unit``).
    """
    out[...] = 0.0
    for u, total in enumerate(totals):
        if not np.isfinite(total):
            continue
        unit = labels == u
        for k, chain in enumerate(chains):
            part = total if category is None else total * SHARES[k]
            for m in [unit] if category is None else [unit & (category == k), unit]:
                done = False
                for name in chain:
                    w = weights[name]
                    s = w[m].sum(dtype="float64")
                    if s > 0:
                        out[k][m] += part * w[m] / s
                        done = True
                        break
                if done:
                    break
    return out


def kernel(labels, weights, totals, chains, category=None, out=None, chunk=512, threads=2):
    from carbonbalance.emissions.allocation import Allocation

    alloc = Allocation(
        labels,
        weights,
        chains,
        categories=category,
        chunk=chunk,
        threads=threads,
        category_names=CATEGORIES if category is not None else None,
    )
    T = totals if category is None else totals[:, None] * SHARES[None, :]
    plan = alloc.plan(T)
    alloc.into(plan, out)
    return out, plan.record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4800)
    ap.add_argument("--cols", type=int, default=4300)
    ap.add_argument("--units", type=int, default=31)
    ap.add_argument("--chunk", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import logging

    logging.basicConfig(level=logging.ERROR)

    labels, weights, category, totals = synthetic(args.rows, args.cols, args.units)
    print(
        f"allocation benchmark: {args.rows} x {args.cols} cells, {int(np.isfinite(totals).sum())} units, "
        f"{int((labels >= 0).sum())} cells inside units, chunk {args.chunk}, {args.threads} thread(s)",
        flush=True,
    )
    small = slice(0, 64)  # compile (or load the cache) outside the timing
    present = np.isin(np.arange(args.units), labels[small, small])
    for method in CHAINS:
        cat = category[small, small] if method == "multisource" else None
        cat = None if cat is None else np.ascontiguousarray(cat)  # contiguous, as in the timed runs
        kernel(
            np.ascontiguousarray(labels[small, small]),
            {k: np.ascontiguousarray(v[small, small]) for k, v in weights.items()},
            np.where(present, totals, np.nan),
            CHAINS[method],
            cat,
            out=np.empty((len(CHAINS[method]), 64, 64)),
            chunk=32,
        )
    ratios = {}
    for method, chains in CHAINS.items():
        cat = category if method == "multisource" else None
        out_k = np.zeros((len(chains),) + labels.shape)
        out_n = np.zeros((len(chains),) + labels.shape)
        k_times, n_times = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            grid, rec = kernel(labels, weights, totals, chains, cat, out=out_k, chunk=args.chunk, threads=args.threads)
            k_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref = naive(labels, weights, totals, chains, cat, out=out_n)
            n_times.append(time.perf_counter() - t0)
        diff = float(np.max(np.abs(grid - ref)) / np.max(ref))
        total = grid.sum(axis=0)
        sums = np.bincount(labels[labels >= 0], weights=total[labels >= 0], minlength=args.units)
        has = np.isfinite(totals)
        cons = float(np.max(np.abs(sums[has] - totals[has]) / totals[has]))
        ratios[method] = min(n_times) / min(k_times)
        print(
            f"{method}: kernel best of {[round(t, 3) for t in k_times]} = {min(k_times):.3f} s; "
            f"naive per-unit mask loop best of {[round(t, 3) for t in n_times]} = {min(n_times):.3f} s; "
            f"ratio {ratios[method]:.2f}",
            flush=True,
        )
        print(
            f"{method}: {rec['n_fallback_units']} unit(s) fell back; max |kernel - naive| / max = {diff:.1e}; "
            f"worst unit total error {cons:.1e} (relative)",
            flush=True,
        )
    print(f"emissions_speedup_vs_naive={min(ratios.values()):.2f}")


if __name__ == "__main__":
    main()
