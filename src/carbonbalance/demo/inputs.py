"""The embedded demo region: deterministic, realistic-looking inputs for every stage.

:func:`generate` writes, from one seed:

- boundaries (GeoPackage, EPSG:4326): provinces → cities → counties built by nested
  Voronoi partitions of an irregular land mass (so shapes are irregular and levels
  nest exactly), plus one island county with no land contact and one county smaller
  than 2 km² (a district carved out of its host county);
- monthly rasters per year in EPSG:4326 at resolutions that differ from the target
  grid: NDVI (int16, scale 0.0001, fill −3000, MOD13A3-like), mean temperature
  (int16 in 0.1 °C), precipitation (mm month⁻¹), solar radiation (mean W m⁻²);
- annual rasters: IGBP land cover at ~500 m, land use with CNLUCC-like codes,
  night-time light and population counts;
- a statistics CSV with CO2, GDP, population, energy and covariates per unit
  (all levels) and year.

Fields are analytic functions of longitude and latitude (elevation from random
Fourier features, urban intensity from Gaussian city cores), evaluated at each
product's own pixel centres, so the products agree with each other at any
resolution.  Physically: a seasonal cycle, a north–south temperature gradient, a
lapse rate, NDVI following land cover and season, lights and population
concentrated in cities, and one county with zero night light.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import from_origin

import carbonbalance.demo.manifest as manifest
from carbonbalance.core.grid import CHINA_ALBERS
from carbonbalance.core.store import atomic_output
from carbonbalance.demo.fields import (
    LANDUSE_FILL,
    Fields,
    emission_inventory,
    landcover_igbp,
    landuse_cnlucc,
    ndvi_bounds,
    ndvi_month,
    npp_product,
    precipitation_month,
    radiation_month,
    temperature_month,
)
from carbonbalance.demo.geometry import make_boundaries, to_albers
from carbonbalance.demo.layouts import Step, Writer
from carbonbalance.errors import InputError

log = logging.getLogger(__name__)

#: Pixel sizes (degrees) of the demo products, like their real counterparts.
RESOLUTION_DEG = {
    "ndvi": 0.01,
    "temperature": 0.05,
    "precipitation": 0.05,
    "radiation": 0.05,
    "landcover": 0.0045,
    "landuse": 0.0083333333,
    "nightlight": 0.0041666667,
    "population": 0.0083333333,
    "npp": 0.0045,
    "inventory": 0.1,
}
NDVI_FILL = -3000
POP_FILL = -99999.0


# ----------------------------------------------------------------------------- writing

#: the time a demo GeoPackage says it was written (GDAL stamps the current time otherwise),
#: so that two generations of the demo are byte for byte the same file, checksum included
GPKG_DATE = "2000-01-01T00:00:00.000Z"


def write_gpkg(gdf, path, layer: str) -> None:
    """``gdf`` as a GeoPackage layer whose bytes do not depend on when it was written."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
    try:
        gdf.to_file(path, driver="GPKG", layer=layer, engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def _grid(bounds, res):
    w, s, e, n = bounds
    width, height = int(math.ceil((e - w) / res)), int(math.ceil((n - s) / res))
    transform = from_origin(w, n, res, res)
    lon = w + (np.arange(width) + 0.5) * res
    lat = n - (np.arange(height) + 0.5) * res
    return transform, *np.meshgrid(lon, lat)


def _land_mask(geoms, transform, shape):
    return rasterize(((g, 1) for g in geoms), out_shape=shape, transform=transform, fill=0, dtype="uint8").astype(bool)


def output_paths(inputs: dict, boundaries_path, statistics_path, years, layout: str = "geotiff") -> list[str]:
    """Every file (or ESRI GRID folder) :func:`generate` writes for these paths and years."""
    return [str(boundaries_path), str(statistics_path)] + Writer(inputs, layout).targets([int(y) for y in years])


def generate(
    inputs: dict,
    boundaries_path,
    statistics_path,
    years,
    seed: int = 42,
    zero_light_county: bool = True,
    root=None,
    layout: str = "geotiff",
) -> dict:
    """Write the demo inputs; returns a summary (ids of the special counties, paths).

    Parameters
    ----------
    inputs : the ``inputs`` config section; each variable's ``path`` pattern says where
        its files go (``{year}``, and ``{month}`` for monthly variables).
    boundaries_path, statistics_path : where the GeoPackage and the CSV go.
    years : the years to generate.
    root : the demo's own folder (``demo.root``): every output must lie below it, no file
        there that the generator did not create is overwritten, and every file written is
        listed in its manifest (:mod:`carbonbalance.demo.manifest`).  Default: the common
        parent folder of the outputs.
    layout : ``geotiff``, or ``products``: every input as its product preset is delivered
        (:mod:`carbonbalance.demo.layouts`), with the same pixels.
    """
    years = [int(y) for y in years]
    writer = Writer(inputs, layout)
    targets = output_paths(inputs, boundaries_path, statistics_path, years, layout)
    root = Path(root) if root is not None else Path(os.path.commonpath([Path(p).resolve().parent for p in targets]))
    refusal = manifest.refusal(root, targets)
    if refusal:
        raise InputError(refusal)
    for path in manifest.changed(root, targets):
        log.warning("demo input %s changed since the generator wrote it; generating it again", path)
    rng = np.random.default_rng(seed)
    gdf = make_boundaries(rng)
    inv = Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True)
    cores_ll = {k: inv.transform(*v) for k, v in gdf.attrs["city_cores"].items()}
    f = Fields(rng, cores_ll)
    island_id = gdf.loc[gdf["county_name"] == "Haidao District", "county_id"].iloc[0]
    tiny_id = gdf.loc[gdf["county_name"] == "Xiaocheng District", "county_id"].iloc[0]

    # the county farthest from every city core has no light at all
    cents = gdf.to_crs(CHINA_ALBERS).centroid
    fwd = to_albers()
    core_xy = np.array([fwd.transform(*c) for c in cores_ll.values()])
    far = np.array([np.min(np.hypot(core_xy[:, 0] - p.x, core_xy[:, 1] - p.y)) for p in cents])
    far[gdf["county_id"].isin([island_id, tiny_id]).to_numpy()] = -1
    dark_id = gdf["county_id"].iloc[int(np.argmax(far))]
    dark_geom = gdf.loc[gdf["county_id"] == dark_id, "geometry"].iloc[0]

    w, s, e, n = gdf.total_bounds
    bounds = (
        math.floor((w - 0.15) * 20) / 20,
        math.floor((s - 0.15) * 20) / 20,
        math.ceil((e + 0.15) * 20) / 20,
        math.ceil((n + 0.15) * 20) / 20,
    )
    geoms = list(gdf.geometry)
    written = []
    population = {}

    def put(var, year, month, data, transform, nodata=None, **tags):
        writer.add(Step(var, year, month, data, transform, nodata, tags))

    cache = {}

    def grid_for(var):
        if var not in cache:
            tr, lon, lat = _grid(bounds, RESOLUTION_DEG[var])
            cache[var] = (tr, lon, lat, _land_mask(geoms, tr, lon.shape))
        return cache[var]

    for yi, year in enumerate(years):
        yr = np.random.default_rng([seed, year])
        anomaly = yr.normal(0, 0.5)
        wet = np.clip(yr.normal(1.0, 0.12, 12), 0.6, 1.5)
        sunny = 1.0 - 0.15 * (wet - 1.0)
        tr, lon, lat, land = grid_for("ndvi")
        low, peak = ndvi_bounds(landcover_igbp(f, lon, lat, land, yi))  # once per year, not per month
        for month in range(1, 13):
            tr, lon, lat, land = grid_for("ndvi")
            v = ndvi_month(f, lat, low, peak, month, yr)
            raw = np.round(v * 10000).astype("int16")
            raw[~land] = NDVI_FILL
            raw[yr.random(raw.shape) < 0.002] = NDVI_FILL  # cloud-contaminated pixels
            put("ndvi", year, month, raw, tr, NDVI_FILL, scale_factor=0.0001)
            tr, lon, lat, land = grid_for("temperature")
            t = temperature_month(f, lon, lat, yi, month, anomaly)
            put("temperature", year, month, np.round(t * 10).astype("int16"), tr, -32768, units="0.1 degC")
            p = precipitation_month(f, lon, lat, month, wet[month - 1])
            put("precipitation", year, month, p.astype("float32"), tr, -9999.0, units="mm month-1")
            r = radiation_month(f, lon, lat, month, sunny[month - 1])
            put("radiation", year, month, r.astype("float32"), tr, -9999.0, units="W m-2 (monthly mean)")
        written.append(year)

        tr, lon, lat, land = grid_for("landcover")
        put("landcover", year, None, landcover_igbp(f, lon, lat, land, yi), tr, 255)
        tr, lon, lat, land = grid_for("landuse")
        put("landuse", year, None, landuse_cnlucc(f, lon, lat, land, yi), tr, LANDUSE_FILL)

        tr, lon, lat, land = grid_for("nightlight")
        u = f.urban(lon, lat, yi)
        light = 62.0 * u**1.6 * (1 + 0.06 * yi) + 0.8 * np.clip(f.noise(lon, lat, 300) - 0.9, 0, None)
        light[light < 0.3] = 0.0
        light[~land] = 0.0
        if zero_light_county:
            light[_land_mask([dark_geom], tr, lon.shape)] = 0.0
        put("nightlight", year, None, light.astype("float32"), tr, -1.0, units="nW cm-2 sr-1")

        tr, lon, lat, land = grid_for("population")
        area_km2 = (111.32 * RESOLUTION_DEG["population"]) ** 2 * np.cos(np.radians(lat))
        dens = (180 + 60 * f.noise(lon, lat, 400)) * np.exp(-f.elevation_m(lon, lat) / 900) + 9000 * f.urban(
            lon, lat, yi
        ) ** 1.4
        pop = (dens * area_km2 * (1 + 0.005 * yi)).astype("float32")
        pop[~land] = POP_FILL
        put("population", year, None, pop, tr, POP_FILL, units="persons")
        population[year] = (np.where(pop == POP_FILL, 0.0, pop).astype("float64"), tr)
        if "npp" in inputs:
            put("npp", year, None, *npp_product(f, grid_for("npp"), yi, inputs["npp"]))
        if "inventory" in inputs:
            put("inventory", year, None, *emission_inventory(f, grid_for("inventory"), yi, inputs["inventory"], year))
        writer.finish()

    stats = _statistics(gdf, f, years, population, seed)
    with atomic_output(statistics_path) as tmp:
        stats.to_csv(tmp, index=False)
    with atomic_output(boundaries_path) as tmp:
        write_gpkg(gdf, tmp, "counties")
    manifest.record(root, targets)
    return {
        "counties": int(len(gdf)),
        "island_county": island_id,
        "tiny_county": tiny_id,
        "dark_county": dark_id,
        "years": written,
        "bounds_lonlat": list(bounds),
    }


def _statistics(gdf, f, years, population, seed) -> pd.DataFrame:
    """Per unit (every level) and year: CO2, GDP, population, energy and covariates."""
    rows = []
    rng = np.random.default_rng([seed, 99])
    ids = gdf["county_id"].to_numpy()
    base_gdp_pc = {cid: rng.uniform(3.5, 7.0) for cid in ids}  # 10^4 yuan per person
    base_int = {cid: rng.uniform(0.35, 0.85) for cid in ids}  # tce per 10^4 yuan
    sec = {cid: rng.uniform(0.28, 0.52) for cid in ids}
    thermal = {cid: rng.uniform(0.55, 0.92) for cid in ids}
    # year-to-year structure change, so that the panel models have within-unit variation
    drift = np.random.default_rng([seed, 98])
    sec_trend = {cid: drift.normal(0.0, 0.012) for cid in ids}  # share points per year
    int_decline = {cid: drift.uniform(0.92, 1.0) for cid in ids}  # energy intensity ratio per year
    thermal_trend = {cid: drift.normal(-0.01, 0.01) for cid in ids}
    for yi, year in enumerate(years):
        pop, transform = population[year]
        label = rasterize(
            ((g, i + 1) for i, g in enumerate(gdf.geometry)),
            out_shape=pop.shape,
            transform=transform,
            fill=0,
            dtype="int32",
            all_touched=False,
        )
        county_pop = np.bincount(label.ravel(), weights=pop.ravel(), minlength=len(gdf) + 1)[1:]
        cents = gdf.geometry.representative_point()
        urb = f.urban(cents.x.to_numpy(), cents.y.to_numpy(), yi)
        for i, cid in enumerate(ids):
            p = max(county_pop[i], 500.0)  # the tiny district has few pixel centres: a small town
            urban_rate = float(np.clip(0.38 + 0.45 * urb[i], 0.3, 0.95))
            gdp = p * base_gdp_pc[cid] * (1 + 0.5 * urb[i]) * (1.06**yi) * np.exp(drift.normal(0, 0.03))
            secondary = float(np.clip(sec[cid] + sec_trend[cid] * yi + drift.normal(0, 0.008), 0.15, 0.65))
            thermal_share = float(np.clip(thermal[cid] + thermal_trend[cid] * yi + drift.normal(0, 0.01), 0.3, 0.98))
            energy = (
                gdp
                * base_int[cid]
                * int_decline[cid] ** yi
                * (1 + 0.6 * (secondary - sec[cid]))
                * np.exp(drift.normal(0, 0.02))
            )
            co2 = energy * 2.45 * (0.8 + 0.25 * thermal_share)
            rows.append(
                dict(
                    unit_id=cid,
                    level="county",
                    year=year,
                    population=p,
                    gdp_10k_yuan=gdp,
                    energy_tce=energy,
                    co2_emissions_t=co2,
                    engel_coefficient=float(np.clip(0.36 - 0.08 * urb[i] + rng.normal(0, 0.01), 0.2, 0.5)),
                    secondary_industry_share=secondary,
                    thermal_power_share=thermal_share,
                    urbanisation_rate=urban_rate,
                )
            )
    county = pd.DataFrame(rows)
    county = county.merge(gdf[["county_id", "city_id", "province_id"]], left_on="unit_id", right_on="county_id")
    out = [county]
    for level, col in (("city", "city_id"), ("province", "province_id")):
        g = county.groupby([col, "year"])
        agg = g[["population", "gdp_10k_yuan", "energy_tce", "co2_emissions_t"]].sum()
        agg["engel_coefficient"] = g.apply(
            lambda d: np.average(d.engel_coefficient, weights=d.population), include_groups=False
        )
        agg["urbanisation_rate"] = g.apply(
            lambda d: np.average(d.urbanisation_rate, weights=d.population), include_groups=False
        )
        agg["secondary_industry_share"] = g.apply(
            lambda d: np.average(d.secondary_industry_share, weights=d.gdp_10k_yuan), include_groups=False
        )
        agg["thermal_power_share"] = g.apply(
            lambda d: np.average(d.thermal_power_share, weights=d.energy_tce), include_groups=False
        )
        agg = agg.reset_index().rename(columns={col: "unit_id"})
        agg["level"] = level
        out.append(agg)
    table = pd.concat(out, ignore_index=True)
    table["energy_efficiency"] = table["gdp_10k_yuan"] / table["energy_tce"]
    cols = [
        "unit_id",
        "level",
        "year",
        "co2_emissions_t",
        "gdp_10k_yuan",
        "population",
        "energy_tce",
        "engel_coefficient",
        "secondary_industry_share",
        "energy_efficiency",
        "thermal_power_share",
        "urbanisation_rate",
    ]
    return table[cols].round(6)
