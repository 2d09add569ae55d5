"""Shared fixtures: a small Albers grid and a writer of small GeoTIFFs around it."""

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from hypothesis import settings
from rasterio.transform import from_origin
from runs import copy_workflow, finish, start_once, stop_services, wait_for  # noqa: F401  (copy_workflow: for the tests)
from shapely.geometry import Point, Polygon, box

from carbonbalance.casa.params import TYPES
from carbonbalance.core.grid import CHINA_ALBERS, GridSpec
from carbonbalance.ingest.boundaries import Level, read_boundaries, unit_table
from carbonbalance.ingest.params import RasterInput

ROOT = Path(__file__).resolve().parents[1]
LOCAL_RUN = [sys.executable, str(ROOT / "tests/runs.py"), "local"]
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
sys.path.insert(0, str(ROOT / "tools"))  # compare_results
# no per-example deadline: the workers share the cores with whole-workflow runs
settings.register_profile("carbonbalance", deadline=None)
settings.load_profile("carbonbalance")


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


def snakemake(cwd, *args, check=True, timeout=900):
    """Run the Snakemake CLI of this interpreter in ``cwd``; returns the CompletedProcess."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, "NUMBA_NUM_THREADS": "1"}
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


def ndvi_spec(pattern, **kw):
    """The MOD13A3-like NDVI input of ``pattern`` (overrides in ``kw``)."""
    cfg = {
        "path": pattern,
        "units": "1",
        "scale": 0.0001,
        "fill": [-3000],
        "valid_range": [-2000, 10000],
        "resampling": "bilinear",
    }
    cfg.update(kw)
    return RasterInput.from_config("ndvi", cfg)


def write_ndvi_year(tmp_path, year=2020, value=5000, **kw):
    """Twelve int16 NDVI GeoTIFFs (MOD13A3 coding) with a 3 x 3 fill patch; returns the pattern."""
    for m in range(1, 13):
        data = np.full((60, 90), value, dtype="int16")
        data[30:33, 40:43] = -3000  # inside the grid footprint
        write_tif(tmp_path / f"ndvi_{year}_{m:02d}.tif", data, nodata=None, **kw)
    return str(tmp_path / "ndvi_{year}_{month:02d}.tif")


BOUNDARY_LEVELS = [
    Level("county", "county_id", "county_name"),
    Level("city", "city_id"),
    Level("province", "province_id"),
]


def boundary_units(path):
    """The unit table of the boundaries at ``path`` (BOUNDARY_LEVELS)."""
    return unit_table(read_boundaries(path, BOUNDARY_LEVELS), BOUNDARY_LEVELS)


def statistics_config(tmp_path, rows, **cfg):
    """A statistics CSV of ``rows`` (co2 in Mt CO2, gdp in 10^8 yuan, pop in 10^4 persons) and its config."""
    csv = tmp_path / "s.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    base = {
        "path": str(csv),
        "columns": {
            "co2_tco2": {"column": "co2", "units": "Mt CO2"},
            "gdp_1e4yuan": {"column": "gdp", "units": "10^8 yuan"},
            "population_persons": {"column": "pop", "units": "10^4 persons"},
        },
    }
    return base | cfg


@pytest.fixture
def boundaries(tmp_path):
    """Four 1° counties in two cities of one province (GeoPackage, EPSG:4326)."""
    rows = [
        dict(
            county_id=f"91010{i}",
            county_name=f"C{i}",
            city_id="910100" if i < 3 else "910200",
            province_id="910000",
            geometry=box(i, 0, i + 1, 1),
        )
        for i in range(1, 5)
    ]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    return path


def random_casa_inputs(rng, ny=30, nx=40):
    """Random monthly CASA inputs (NDVI, T, P, SOL) and types: dry columns, a frozen band, nodata types."""
    nd = rng.uniform(-0.2, 0.95, (12, ny, nx))
    T = rng.uniform(-25, 35, (12, ny, nx))
    P = rng.uniform(0, 300, (12, ny, nx))
    P[:, :2] = 0.0
    T[:, 2:4] = rng.uniform(-30, -0.5, (12, 2, nx))  # whole year at or below zero
    S = rng.uniform(50, 700, (12, ny, nx))
    vt = rng.integers(-2, len(TYPES), (ny, nx)).astype("int8")
    return nd, T, P, S, vt


@pytest.fixture
def irregular(small_grid):
    """Five irregular units over the 40 x 50 km grid (vertices off the cell edges), one of
    them a 400 m wide district between cell centres, given in lon/lat (reprojected)."""
    g = small_grid
    x0, y0, x1, y1 = g.bounds
    xm, ym = x0 + 23_370.0, y0 + 17_810.0
    quads = [
        Polygon([(x0 - 500, y0 - 500), (xm, y0 - 500), (xm + 3_100, ym), (x0 - 500, ym + 1_700)]),
        Polygon([(xm, y0 - 500), (x1 + 500, y0 - 500), (x1 + 500, ym - 900), (xm + 3_100, ym)]),
        Polygon([(x0 - 500, ym + 1_700), (xm + 3_100, ym), (xm - 2_300, y1 + 500), (x0 - 500, y1 + 500)]),
        Polygon([(xm + 3_100, ym), (x1 + 500, ym - 900), (x1 + 500, y1 + 500), (xm - 2_300, y1 + 500)]),
    ]
    tiny = Point(x0 + 12_000, y0 + 5_000).buffer(200)  # between the centres (x.5 km)
    quads[0] = quads[0].difference(tiny)
    gdf = gpd.GeoDataFrame(
        {"county_id": ["A", "B", "C", "D", "T"], "province_id": ["P", "P", "Q", "Q", "P"]},
        geometry=quads + [tiny],
        crs=g.crs,
    ).to_crs("EPSG:4326")
    rng = np.random.default_rng(5)
    values = rng.gamma(1.0, 10.0, g.shape)
    values[rng.random(g.shape) < 0.05] = np.nan
    return g, gdf, values


#: modules that make a whole-workflow run of their own (not the shared one): started first
OWN_RUN_FIRST = ("workflow/test_products.py",)


def _order(module_items) -> int:
    """0: a module with its own whole-workflow run, 1: the unit tests, 2: the modules that read
    the shared test run (by then done in the background), 3: the SLURM tests, which wait for
    the SLURM run (tests/cluster/)."""
    path = Path(str(module_items[0].path)).resolve()
    if path.parent.name == "cluster":
        return 3
    if str(path.relative_to(ROOT / "tests")) in OWN_RUN_FIRST:
        return 0
    return 2 if any("test_run" in getattr(i, "fixturenames", ()) for i in module_items) else 1


def pytest_collection_modifyitems(session, config, items):
    """Order the modules (see ``_order``; a module's tests stay together, in their order) and
    start the local run of the test configuration as soon as a test that needs it is collected,
    so that it overlaps the unit tests (tests/runs.py)."""
    modules: dict = {}
    for item in items:
        modules.setdefault(str(item.path), []).append(item)
    items[:] = [i for group in sorted(modules.values(), key=_order) for i in group]
    if not config.option.collectonly and any("test_run" in getattr(i, "fixturenames", ()) for i in items):
        start_once(config, "local", LOCAL_RUN)


def pytest_sessionfinish(session, exitstatus):
    stopped = finish(session.config, interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    if stopped:
        print(f"\nbackground runs stopped unfinished: {stopped}", file=sys.stderr)


def pytest_unconfigure(config):
    stop_services(config)


def pytest_terminal_summary(terminalreporter):
    """What the tests measured for the CI log (``ci_log`` fixture), from every worker."""
    lines = [
        value
        for key in ("passed", "failed")
        for rep in terminalreporter.stats.get(key, [])
        if getattr(rep, "when", "call") == "call"
        for name, value in getattr(rep, "user_properties", [])
        if name == "ci_log"
    ]
    if lines:
        terminalreporter.section("Measured by the tests (whole-workflow runs)")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def ci_log(request):
    """``ci_log(line)``: a line for the session's closing summary (the CI log)."""
    return lambda line: request.node.user_properties.append(("ci_log", line))


@pytest.fixture(scope="session")
def test_run(request):
    """The test configuration run once per session in a fresh copy of the workflow (what a
    user clones), in the background from collection on (tests/runs.py): (workflow folder,
    seconds the run took).  Shared by the workflow, ensemble and SLURM tests, which only read
    it or copy it: a test that changes inputs or runs Snakemake there works on a copy."""
    start_once(request.config, "local", LOCAL_RUN)  # when no collected test asked for it by name
    try:
        workdir, result = wait_for(request.config, "local", timeout=1800)
    except RuntimeError as e:
        pytest.fail(str(e))
    if result["returncode"] != 0:
        out = (workdir / "snakemake.out").read_text() if (workdir / "snakemake.out").exists() else ""
        pytest.fail(f"the test run failed ({result}):\n{out[-6000:]}\n{(workdir / 'runner.err').read_text()[-3000:]}")
    return workdir / "wf", result["seconds"]
