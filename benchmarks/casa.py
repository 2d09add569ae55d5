"""Benchmark of the CASA stage on a China-size synthetic grid (issue 3).

What is measured, each in its own subprocess so that peak RSS belongs to one path:

1. ``kernel``   the pipeline path on inputs held in memory: per-type NDVI percentiles
                (chunked histograms) + the numba kernel over dask chunks
                (``casa_grid.ndvi_limits`` + ``casa_grid.casa_stacked``) on
                ``--threads`` threads, producing annual NPP, RH and NEP;
2. ``numpy``    the vectorised numpy implementation of the same formulas
                (``casa_numpy``: exact ``np.percentile`` limits, then whole-array
                expressions over slabs of rows), single-threaded as numpy is;
3. ``store``    the full rule path (``run_casa_year``: limits, kernel, monthly Zarr,
                COGs, sequestration) reading chunked Zarr stores, for this grid and
                one 4 x larger (2 x rows, 2 x columns) unless ``--no-store``.

Input generation is not timed.  The numba kernels are compiled (and cached) before
timing; each in-memory path is timed ``--repeat`` / ``--repeat-numpy`` times and the
best run is reported (as ``timeit`` does), all runs are printed.  The last line is
``casa_speedup_vs_numpy=<x> peak_rss_gb=<y>`` where x is numpy time / kernel time and y
the peak RSS of the in-memory kernel run.

    python benchmarks/casa.py                      # 4800 x 4300, 12 months, ~50 % nodata
    python benchmarks/casa.py --rows 400 --cols 300 --no-store   # quick smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

SEED = 20240301


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def synthetic_block(r0: int, r1: int, c0: int, c1: int, rows: int, cols: int):
    """Inputs of the cells [r0:r1, c0:c1] of a rows x cols grid (deterministic per cell block).

    Returns ndvi, temperature, precipitation, radiation (12, h, w) float32 and the CASA
    type index (h, w) int8; about half the grid (outside an irregular 'land mask') is nodata.
    """
    y = (np.arange(r0, r1, dtype="float32")[:, None] + 0.5) / rows
    x = (np.arange(c0, c1, dtype="float32")[None, :] + 0.5) / cols
    # land: an irregular blob covering ~50 % of the bounding box, like China's mask
    rr = ((x - 0.52) / 0.43) ** 2 + ((y - 0.5) / 0.40) ** 2
    wobble = 0.18 * np.sin(9 * x + 2) * np.cos(7 * y) + 0.1 * np.sin(23 * x * y)
    land = rr + wobble < 0.78
    rng = np.random.default_rng([SEED, r0, c0])
    h, w = land.shape
    zone = (np.floor(6 * x + 3 * np.sin(5 * y)) + np.floor(5 * y)).astype("int64")
    vt = ((zone * 7 + rng.integers(0, 3, (h, w))) % 11).astype("int8")  # 9, 10 -> non-vegetated
    vt[vt >= 9] = -1
    vt[~land] = -2
    month = (np.arange(12, dtype="float32")[:, None, None] + 0.5) / 12
    season = np.sin(np.pi * month)
    north = 1.0 - y  # colder, drier to the north
    temp = (
        -14
        + 22 * (1 - north)
        + 26 * season * (0.6 + 0.4 * north)
        + rng.standard_normal((12, h, w), dtype="float32") * 0.8
    ).astype("float32")
    prec = np.abs(
        15 + 220 * season * (0.3 + 0.7 * (1 - north) * (0.4 + x)) + rng.standard_normal((12, h, w), dtype="float32") * 8
    ).astype("float32")
    srad = (180 + 420 * season + 60 * x + rng.standard_normal((12, h, w), dtype="float32") * 10).astype("float32")
    ndvi = (
        (
            0.12
            + 0.55 * season * (0.5 + 0.5 * (1 - north))
            + 0.1 * np.cos(11 * x)
            + rng.standard_normal((12, h, w), dtype="float32") * 0.04
        )
        .clip(-0.2, 0.95)
        .astype("float32")
    )
    for a in (temp, prec, srad, ndvi):
        a[:, ~land] = np.nan
    return ndvi, temp, prec, srad, vt


def in_memory_inputs(rows: int, cols: int, chunk: int):
    arrays = [np.empty((12, rows, cols), dtype="float32") for _ in range(4)]
    vt = np.empty((rows, cols), dtype="int8")
    for r0 in range(0, rows, chunk):
        for c0 in range(0, cols, chunk):
            r1, c1 = min(r0 + chunk, rows), min(c0 + chunk, cols)
            *parts, v = synthetic_block(r0, r1, c0, c1, rows, cols)
            for a, p in zip(arrays, parts):
                a[:, r0:r1, c0:c1] = p
            vt[r0:r1, c0:c1] = v
    return (*arrays, vt)


def warm_up():
    """Compile (or load from cache) the kernels outside the timed region."""
    from carbonbalance.casa.cell import run_block
    from carbonbalance.casa.histogram import ndvi_histogram
    from carbonbalance.casa.params import CasaParams

    ndvi, t, p, s, vt = synthetic_block(0, 8, 0, 8, 8, 8)
    prm = CasaParams()
    for view in (slice(None), slice(0, 4)):  # contiguous chunks (stores) and strided views (memory)
        a = [x[:, view, view] for x in (ndvi, t, p, s)]
        run_block(*a, vt[view, view], prm, *prm.table_limits(), terms=())
        ndvi_histogram(a[0], vt[view, view], np.ones(vt.shape, bool)[view, view], 10000, 1e-4)


def run_kernel(args) -> dict:
    from carbonbalance.casa.engine import casa_stacked, ndvi_limits
    from carbonbalance.casa.params import ANNUAL_TERMS, CasaParams
    from carbonbalance.core.blocks import chunked_view, compute

    warm_up()
    ndvi, t, p, s, vt = in_memory_inputs(args.rows, args.cols, args.chunk)
    input_gb = sum(a.nbytes for a in (ndvi, t, p, s, vt)) / 1e9
    prm = CasaParams()
    ch = (12, args.chunk, args.chunk)
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        nd = chunked_view(ndvi, ch)  # da.from_array would copy the inputs
        vtd = chunked_view(vt, ch[1:])
        mins, maxs, _ = ndvi_limits(nd, vtd, prm, threads=args.threads)
        t1 = time.perf_counter()
        # every monthly term is computed in the kernel; only the annual layers are kept
        stacked = casa_stacked(
            nd, chunked_view(t, ch), chunked_view(p, ch), chunked_view(s, ch), vtd, prm, mins, maxs, terms=()
        )
        annual = stacked.map_blocks(
            lambda b: b[:3].copy(),
            chunks=((3,),) + stacked.chunks[1:],
            dtype=stacked.dtype,
            meta=np.empty((0, 0, 0), stacked.dtype),
        )
        npp, rh, nep = compute(annual, threads=args.threads)[0]
        t2 = time.perf_counter()
        runs.append((t2 - t0, t1 - t0, t2 - t1))
        del annual, stacked, rh, nep
    t_total, t_limits, t_kernel = min(runs)
    assert ANNUAL_TERMS[:3] == ("npp", "rh", "nep")
    return {
        "seconds": t_total,
        "limits_seconds": t_limits,
        "kernel_seconds": t_kernel,
        "input_gb": input_gb,
        "all_seconds": [round(r[0], 2) for r in runs],
        "peak_rss_gb": peak_rss_gb(),
        "npp_checksum": float(np.nansum(npp, dtype="float64")),
        "mins": mins.tolist(),
        "maxs": maxs.tolist(),
        "valid_cells": int(np.isfinite(npp).sum()),
    }


def run_numpy(args) -> dict:
    from carbonbalance.casa.params import CasaParams
    from carbonbalance.casa.reference import casa_numpy, ndvi_percentile_limits

    ndvi, t, p, s, vt = in_memory_inputs(args.rows, args.cols, args.chunk)
    prm = CasaParams()
    runs = []
    for _ in range(args.repeat_numpy):
        t0 = time.perf_counter()
        mins, maxs = ndvi_percentile_limits(ndvi, vt, prm)
        npp = np.empty(vt.shape, dtype="float32")
        for r0 in range(0, args.rows, args.slab):
            sl = slice(r0, r0 + args.slab)
            out = casa_numpy(ndvi[:, sl], t[:, sl], p[:, sl], s[:, sl], vt[sl], prm, mins, maxs)
            npp[sl] = out["annual_npp"]
        runs.append(time.perf_counter() - t0)
    return {
        "seconds": min(runs),
        "all_seconds": [round(r, 2) for r in runs],
        "peak_rss_gb": peak_rss_gb(),
        "npp_checksum": float(np.nansum(npp, dtype="float64")),
        "mins": mins.tolist(),
        "maxs": maxs.tolist(),
    }


def write_stores(args, rows: int, cols: int, root: Path) -> dict:
    """Chunked Zarr stores of the synthetic inputs (as the align rules would write them)."""
    from carbonbalance.core.grid import CHINA_ALBERS, GridSpec
    from carbonbalance.core.store import create_store, write_block
    from carbonbalance.ingest.stage import write_cell_area

    grid = GridSpec(
        crs=CHINA_ALBERS,
        xmin=-2_600_000.0,
        ymax=5_900_000.0,
        resolution=1000.0 * 4800 / rows,
        width=cols,
        height=rows,
        chunk=args.chunk,
    )
    units = {"ndvi": "1", "temperature": "degC", "precipitation": "mm month-1", "radiation": "MJ m-2 month-1"}
    paths = {v: root / f"{v}.zarr" for v in units}
    for v, u in units.items():
        create_store(
            paths[v], grid, {v: {"dtype": "float32", "attrs": {"units": u}}}, leading={"month": np.arange(1, 13)}
        )
    paths["landcover"] = root / "landcover.zarr"
    create_store(paths["landcover"], grid, {"landcover": {"dtype": "int32", "fill": -1, "attrs": {"units": "class"}}})
    codes = np.array([1, 2, 3, 4, 5, 7, 10, 12, 11, 16, 17], dtype="int32")  # type index -> IGBP code
    for rows_, cols_ in grid.blocks():
        *parts, vt = synthetic_block(rows_.start, rows_.stop, cols_.start, cols_.stop, rows, cols)
        for v, a in zip(units, parts):
            write_block(paths[v], v, a, rows_, cols_)
        lc = np.where(vt >= 0, codes[np.clip(vt, 0, 8)], np.where(vt == -1, 17, -1)).astype("int32")
        write_block(paths["landcover"], "landcover", lc, rows_, cols_)
    paths["cell_area"] = root / "cell_area.zarr"
    write_cell_area(grid, paths["cell_area"], threads=args.threads)
    (root / "grid.json").write_text(json.dumps(grid.__dict__))
    return {k: str(v) for k, v in paths.items()}


def run_store(args) -> dict:
    from carbonbalance.casa.params import CasaParams
    from carbonbalance.casa.stage import run_casa_year
    from carbonbalance.core.grid import GridSpec

    root = Path(args.workdir)
    paths = json.loads((root / "paths.json").read_text())
    grid = GridSpec.from_json(root / "grid.json")
    classes = {
        "1": "ENF",
        "2": "EBF",
        "3": "DNF",
        "4": "DBF",
        "5": "MF",
        "7": "shrub",
        "10": "grass",
        "12": "crop",
        "11": "other",
        "16": None,
        "17": None,
    }
    prm = CasaParams.from_config({"monthly_variables": args.monthly.split(",")})
    warm_up()
    out = {k: root / "out" / f"{k}.tif" for k in ("npp", "rh", "nep", "sequestration")}
    out["monthly"] = root / "out" / "casa_monthly.zarr"
    t0 = time.perf_counter()
    rec = run_casa_year(paths, grid, prm, classes, 2020, out, threads=args.threads)
    return {
        "seconds": time.perf_counter() - t0,
        "peak_rss_gb": peak_rss_gb(),
        "cells": rec["cells_by_status"]["computed"],
        "input_gb": 4 * 12 * grid.width * grid.height * 4 / 1e9,
        "monthly_variables": prm.monthly_variables,
    }


def child(mode: str, args, extra: list[str] = ()) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--mode",
        mode,
        "--rows",
        str(args.rows),
        "--cols",
        str(args.cols),
        "--chunk",
        str(args.chunk),
        "--threads",
        str(args.threads),
        "--slab",
        str(args.slab),
        "--repeat",
        str(args.repeat),
        "--repeat-numpy",
        str(args.repeat_numpy),
        "--monthly",
        args.monthly,
        *extra,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4800)
    ap.add_argument("--cols", type=int, default=4300)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--slab", type=int, default=64, help="rows per numpy slab")
    ap.add_argument("--repeat", type=int, default=3, help="timed repeats of the kernel path (best is reported)")
    ap.add_argument("--repeat-numpy", type=int, default=2, help="timed repeats of the numpy baseline")
    ap.add_argument(
        "--monthly", default="fpar,t_eps1,t_eps2,w_eps,eps,npp,rh,nep", help="monthly terms written in the store runs"
    )
    ap.add_argument("--no-store", action="store_true", help="skip the chunked-store runs")
    ap.add_argument("--workdir", default=None, help="scratch directory for the store runs")
    ap.add_argument("--mode", default="main", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.mode != "main":
        res = {"kernel": run_kernel, "numpy": run_numpy, "store": run_store}[args.mode](args)
        print(json.dumps(res))
        return

    print(
        f"CASA benchmark: {args.rows} x {args.cols} cells x 12 months, chunk {args.chunk}, "
        f"{args.threads} thread(s), numpy slabs of {args.slab} rows",
        flush=True,
    )
    k = child("kernel", args)
    print(
        f"kernel path (in memory): best of {k['all_seconds']} = {k['seconds']:.2f} s "
        f"(limits {k['limits_seconds']:.2f} s, "
        f"kernel {k['kernel_seconds']:.2f} s); input {k['input_gb']:.2f} GB; peak RSS {k['peak_rss_gb']:.2f} GB "
        f"= {k['peak_rss_gb'] / k['input_gb']:.2f} x input; {k['valid_cells']} vegetated cells",
        flush=True,
    )
    n = child("numpy", args)
    print(
        f"numpy baseline (in memory): best of {n['all_seconds']} = {n['seconds']:.2f} s; "
        f"peak RSS {n['peak_rss_gb']:.2f} GB",
        flush=True,
    )
    agree = abs(k["npp_checksum"] - n["npp_checksum"]) / abs(n["npp_checksum"])
    lim = float(np.max(np.abs(np.subtract(k["mins"] + k["maxs"], n["mins"] + n["maxs"]))))
    print(
        f"agreement: total annual NPP relative difference {agree:.2e}; NDVI limits max |diff| {lim:.1e} "
        f"(histogram bin 1e-4)",
        flush=True,
    )
    if not args.no_store:
        for factor in (1, 2):
            rows, cols = args.rows * factor, args.cols * factor
            with tempfile.TemporaryDirectory(dir=args.workdir, prefix="casa_bench_") as tmp:
                t0 = time.perf_counter()
                paths = write_stores(args, rows, cols, Path(tmp))
                (Path(tmp) / "paths.json").write_text(json.dumps(paths))
                gen = time.perf_counter() - t0
                sub = argparse.Namespace(**{**vars(args), "rows": rows, "cols": cols})
                r = child("store", sub, ["--workdir", tmp])
            print(
                f"store path {rows} x {cols} ({factor * factor}x): {r['seconds']:.1f} s for limits, kernel, "
                f"monthly Zarr ({len(r['monthly_variables'])} terms) and 4 COGs; peak RSS {r['peak_rss_gb']:.2f} GB "
                f"(inputs {r['input_gb']:.1f} GB on disk uncompressed; generation {gen:.0f} s, not timed)",
                flush=True,
            )
    print(f"casa_speedup_vs_numpy={n['seconds'] / k['seconds']:.2f} peak_rss_gb={k['peak_rss_gb']:.2f}")


if __name__ == "__main__":
    main()
