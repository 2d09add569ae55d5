"""Shared fixtures: a small Albers grid and a writer of small GeoTIFFs around it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rasterio
from rasterio.transform import from_origin

from carbonbalance.core.grid import CHINA_ALBERS, GridSpec

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_NUM_THREADS", "1")


@pytest.fixture
def small_grid():
    """40 x 50 cells of 1 km in the default Albers CRS, near 30° N 114° E."""
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True).transform(114.0, 30.0)
    x0, y0 = round(x / 1000) * 1000, round(y / 1000) * 1000
    return GridSpec.from_bounds(CHINA_ALBERS, 1000, (x0, y0, x0 + 50_000, y0 + 40_000), chunk=16)


def write_tif(path, data, west=113.7, north=30.6, res=0.01, crs="EPSG:4326", nodata=None):
    """A single-band GeoTIFF in lon/lat covering the small grid (by default)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype=data.dtype,
        crs=crs,
        transform=from_origin(west, north, res, res),
        nodata=nodata,
    ) as dst:
        dst.write(data, 1)
    return str(path)


def copy_workflow(dest: Path) -> Path:
    """A fresh copy of the workflow (what a user clones), without results."""
    for item in ("Snakefile", "workflow", "config", "profiles", "envs"):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / item)
    return dest


def snakemake(cwd, *args, check=True, timeout=900):
    """Run the Snakemake CLI of this interpreter in ``cwd``; returns the CompletedProcess."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, "NUMBA_NUM_THREADS": "1"}
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc
