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

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely import MultiPoint, Point, Polygon, voronoi_polygons

from carbonbalance.errors import InputError
from carbonbalance.grid import CHINA_ALBERS
from carbonbalance.store import atomic_output

log = logging.getLogger(__name__)

#: Pixel sizes (degrees) of the demo products, like their real counterparts.
RESOLUTION_DEG = {
    "ndvi": 0.01, "temperature": 0.05, "precipitation": 0.05, "radiation": 0.05,
    "landcover": 0.0045, "landuse": 0.0083333333, "nightlight": 0.0041666667,
    "population": 0.0083333333,
}
NDVI_FILL = -3000
POP_FILL = -99999.0
LANDUSE_FILL = 0
#: Lattice (m, grid CRS) that the tiny county is placed on, so that it contains no
#: cell centre on 1, 2, 3 or 6 km grids of the default CRS.
TINY_LATTICE_M = 12_000.0

_SYLLABLES = ["an", "bei", "chang", "dong", "feng", "gu", "he", "hua", "jiang", "jin", "kang",
              "lin", "long", "mei", "nan", "ning", "ping", "qing", "shan", "shui", "tai", "tian",
              "wu", "xi", "xin", "yang", "yun", "ze", "zhong", "zhou"]


def _name(rng) -> str:
    a, b = rng.choice(_SYLLABLES, 2, replace=False)
    return (a + b).capitalize()


def _to_albers():
    return Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True)


# ----------------------------------------------------------------------------- geometry
def _blob(cx, cy, rx, ry, rng, n=360, harmonics=6, rough=0.12) -> Polygon:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones_like(t)
    for k in range(2, 2 + harmonics):
        r += rough / k ** 0.7 * rng.normal() * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    return Polygon(np.c_[cx + rx * r * np.cos(t), cy + ry * r * np.sin(t)]).buffer(0)


def _spread_points(poly, n, rng, candidates=3000):
    """``n`` well-spread points inside ``poly`` (farthest-point sampling)."""
    x0, y0, x1, y1 = poly.bounds
    pts = []
    while len(pts) < candidates:
        xs = rng.uniform(x0, x1, candidates)
        ys = rng.uniform(y0, y1, candidates)
        pts += [(x, y) for x, y in zip(xs, ys) if poly.contains(Point(x, y))]
    pts = np.array(pts[:candidates])
    chosen = [pts[rng.integers(len(pts))]]
    d = np.hypot(*(pts - chosen[0]).T)
    for _ in range(n - 1):
        chosen.append(pts[np.argmax(d)])
        d = np.minimum(d, np.hypot(*(pts - chosen[-1]).T))
    return [tuple(c) for c in chosen]


def _partition(poly, seeds):
    """Voronoi partition of ``poly`` by ``seeds``; one (Multi)Polygon per seed, in order."""
    cells = voronoi_polygons(MultiPoint(seeds), extend_to=poly.buffer(1e6), ordered=True)
    return [c.intersection(poly) for c in cells.geoms]


def make_boundaries(rng, centre_lonlat=(113.9, 30.0), radius_m=(175_000, 140_000),
                    n_provinces=3, cities_per_province=3, counties_per_city=4) -> gpd.GeoDataFrame:
    """Demo counties in EPSG:4326 with city/province parents and a ``region3`` group."""
    fwd = _to_albers()
    cx, cy = fwd.transform(*centre_lonlat)
    land = _blob(cx, cy, radius_m[0], radius_m[1], rng)
    rows = []
    prov_seeds = _spread_points(land, n_provinces, rng)
    # West → East order of provinces for ids and the region3 grouping
    prov_seeds.sort(key=lambda p: p[0])
    region3 = ["West", "Central", "East"] if n_provinces == 3 else [f"R{i + 1}" for i in range(n_provinces)]
    city_cores = {}
    for pi, (prov, pseed) in enumerate(zip(_partition(land, prov_seeds), prov_seeds), start=1):
        pid, pname = f"{90 + pi}0000", _name(rng)
        cseeds = _spread_points(prov, cities_per_province, rng)
        for ci, (city, cseed) in enumerate(zip(_partition(prov, cseeds), cseeds), start=1):
            cid, cname = f"{90 + pi}{ci:02d}00", _name(rng)
            city_cores[cid] = cseed
            kseeds = _spread_points(city, counties_per_city, rng)
            for ki, county in enumerate(_partition(city, kseeds), start=1):
                rows.append(dict(county_id=f"{90 + pi}{ci:02d}{ki:02d}", county_name=_name(rng) + " County",
                                 city_id=cid, city_name=cname + " City", province_id=pid,
                                 province_name=pname + " Province", region3=region3[pi - 1],
                                 geometry=county))
    gdf = gpd.GeoDataFrame(rows, crs=CHINA_ALBERS)

    # island county: off the east coast, attached to the nearest city
    ex = land.bounds[2] + 28_000
    ey = cy + rng.uniform(-0.3, 0.3) * radius_m[1]
    island = _blob(ex, ey, 9_000, 6_000, rng, rough=0.1)
    near = gdf.distance(island.centroid).idxmin()
    gdf = pd.concat([gdf, _child_row(gdf.loc[near], island, "Haidao District", gdf)], ignore_index=True)

    # tiny county (< 2 km²): a district carved out of the county around a city core
    core_city = sorted(city_cores)[0]
    tiny, host = _tiny_county(gdf, city_cores[core_city])
    gdf.loc[host, "geometry"] = gdf.loc[host, "geometry"].difference(tiny)
    gdf = pd.concat([gdf, _child_row(gdf.loc[host], tiny, "Xiaocheng District", gdf)], ignore_index=True)
    gdf = gdf.set_geometry("geometry").set_crs(CHINA_ALBERS, allow_override=True)
    gdf.attrs["city_cores"] = city_cores
    return gdf.to_crs("EPSG:4326")


def _child_row(parent_row, geom, name, gdf):
    city = parent_row["city_id"]
    k = int(gdf.loc[gdf["city_id"] == city, "county_id"].str[-2:].astype(int).max()) + 1
    row = parent_row.to_dict()
    row.update(county_id=f"{city[:4]}{k:02d}", county_name=name, geometry=geom)
    return gpd.GeoDataFrame([row], crs=gdf.crs)


def _tiny_county(gdf, near_xy):
    """A ~1.2 km² pentagon on the 12 km lattice, inside one county; returns (geom, host index)."""
    L = TINY_LATTICE_M
    bx, by = round(near_xy[0] / L) * L, round(near_xy[1] / L) * L
    for dx, dy in [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, -1), (2, 0), (0, 2)]:
        X, Y = bx + dx * L, by + dy * L
        # y within [Y+1550, Y+2450]: no centre of 1, 2, 3 or 6 km cells (offsets 500, 1000, 1500, 3000)
        geom = Polygon([(X + 200, Y + 1600), (X + 1500, Y + 1560), (X + 1800, Y + 2000),
                        (X + 1300, Y + 2420), (X + 350, Y + 2300)])
        hosts = gdf.index[gdf.contains(geom.buffer(50))]
        if len(hosts):
            return geom, hosts[0]
    raise RuntimeError("could not place the tiny demo county; change demo.seed")


# ----------------------------------------------------------------------------- fields
class Fields:
    """Analytic geography of the demo: elevation, urban intensity, lakes (lon/lat in degrees)."""

    def __init__(self, rng, city_cores_lonlat, n_waves=24):
        self.k = rng.normal(0, 1.0, (n_waves, 2)) * np.array([[6.0, 6.0]]) / (1 + np.arange(n_waves)[:, None] * 0.15)
        self.phase = rng.uniform(0, 2 * np.pi, n_waves)
        self.amp = rng.uniform(0.5, 1.0, n_waves) / np.sqrt(n_waves)
        self.cores = np.array(list(city_cores_lonlat.values()))
        self.core_sigma = rng.uniform(0.05, 0.11, len(self.cores))      # degrees
        self.core_weight = rng.uniform(0.6, 1.0, len(self.cores))
        self.core_weight[rng.integers(len(self.cores))] = 1.3            # a provincial capital
        self.lakes = np.array([[c[0] + rng.uniform(-0.3, 0.3), c[1] + rng.uniform(-0.3, 0.3)]
                               for c in self.cores[rng.choice(len(self.cores), 3, replace=False)]])
        self.lake_r = rng.uniform(0.03, 0.06, len(self.lakes))
        self.lon0 = float(self.cores[:, 0].mean())
        self.lat0 = float(self.cores[:, 1].mean())

    def elevation_m(self, lon, lat):
        """Hilly in the west and south-west, plains elsewhere (0 – ~1600 m)."""
        z = np.zeros(np.broadcast(lon, lat).shape)
        for (kx, ky), ph, a in zip(self.k, self.phase, self.amp):
            z += a * np.sin(kx * lon + ky * lat + ph)
        ramp = np.clip(0.5 - 0.9 * (lon - self.lon0) + 0.4 * (self.lat0 - lat), 0, None)
        return np.clip(350 * (z + 1.0) * ramp + 80 * (z + 1), 0, None)

    def urban(self, lon, lat, year_index=0):
        """Urban intensity in [0, ~1.3]: Gaussian cores growing 4 % a year in extent."""
        u = np.zeros(np.broadcast(lon, lat).shape)
        growth = 1.0 + 0.04 * year_index
        for (x, y), s, w in zip(self.cores, self.core_sigma, self.core_weight):
            d2 = ((lon - x) * math.cos(math.radians(y))) ** 2 + (lat - y) ** 2
            u += w * np.exp(-d2 / (2 * (s * growth) ** 2))
        return u

    def lake(self, lon, lat):
        m = np.zeros(np.broadcast(lon, lat).shape, dtype=bool)
        for (x, y), r in zip(self.lakes, self.lake_r):
            m |= np.hypot(lon - x, lat - y) < r
        return m

    def noise(self, lon, lat, seed):
        """Smooth deterministic noise in about [-1, 1] (another set of waves)."""
        r = np.random.default_rng(seed)
        z = np.zeros(np.broadcast(lon, lat).shape)
        for _ in range(12):
            kx, ky = r.normal(0, 25, 2)
            z += np.sin(kx * lon + ky * lat + r.uniform(0, 2 * np.pi)) / math.sqrt(12)
        return z


# IGBP codes used by the demo: 1 ENF, 2 EBF, 4 DBF, 5 MF, 8 woody savanna, 10 grassland,
# 11 wetland, 12 cropland, 13 urban, 14 mosaic, 17 water.
def landcover_igbp(f: Fields, lon, lat, land, year_index):
    elev = f.elevation_m(lon, lat)
    u = f.urban(lon, lat, year_index)
    n = f.noise(lon, lat, 7)
    lc = np.full(lon.shape, 12, dtype="uint8")
    lc[(u > 0.25) & (u <= 0.45)] = 14
    hills = elev > 420
    lc[hills & (n > 0.3)] = 5
    lc[hills & (n <= 0.3) & (lat < f.lat0 - 0.3)] = 2
    lc[hills & (n <= 0.3) & (lat >= f.lat0 - 0.3) & (n > -0.4)] = 4
    lc[hills & (n <= -0.4) & (lat >= f.lat0 - 0.3)] = 1
    upland = (elev > 250) & ~hills
    lc[upland & (n > 0.5)] = 10
    lc[upland & (n <= 0.5) & (n > 0.1)] = 8
    lc[u > 0.45] = 13
    lake = f.lake(lon, lat)
    lc[lake] = 17
    lc[~lake & f.lake(lon + 0.015, lat + 0.015) & (u < 0.45)] = 11
    lc[~land] = 17
    return lc


# CNLUCC-like land-use codes: 11 paddy, 12 dry cropland, 21 forest, 31 grassland, 41 water,
# 51 urban, 52 rural settlement, 53 industrial / other construction, 61 unused.
def landuse_cnlucc(f: Fields, lon, lat, land, year_index):
    lc = landcover_igbp(f, lon, lat, land, year_index)
    u = f.urban(lon, lat, year_index)
    n = f.noise(lon, lat, 11)
    lu = np.where(lat < f.lat0, 11, 12).astype("uint8")
    lu[np.isin(lc, (1, 2, 4, 5, 8))] = 21
    lu[lc == 10] = 31
    lu[np.isin(lc, (11, 17))] = 41
    lu[(u > 0.45)] = 51
    lu[(u > 0.3) & (u <= 0.6) & (n > 0.35)] = 53
    lu[(u <= 0.3) & (n > 1.2) & (lu != 41)] = 52
    lu[(f.elevation_m(lon, lat) > 900) & (n < -1.1)] = 61
    lu[~land] = LANDUSE_FILL
    return lu


_NDVI_PEAK = {1: 0.78, 2: 0.86, 4: 0.84, 5: 0.82, 8: 0.72, 10: 0.62, 11: 0.55, 12: 0.74,
              13: 0.28, 14: 0.62, 17: -0.08}
_NDVI_LOW = {1: 0.55, 2: 0.70, 4: 0.32, 5: 0.45, 8: 0.35, 10: 0.22, 11: 0.20, 12: 0.22,
             13: 0.18, 14: 0.28, 17: -0.12}


def ndvi_bounds(landcover):
    """Seasonal low and peak NDVI of each pixel from its IGBP class (constant within a year)."""
    codes = np.array(sorted(_NDVI_PEAK))
    idx = np.searchsorted(codes, landcover)
    return (np.array([_NDVI_LOW[c] for c in codes])[idx], np.array([_NDVI_PEAK[c] for c in codes])[idx])


def ndvi_month(f, lat, low, peak, month, rng):
    """NDVI of one month from the pixel's seasonal range (``ndvi_bounds``); later green-up in the north."""
    season = 0.5 * (1 - np.cos(2 * np.pi * (month - 1.5 + 0.5 * (lat - f.lat0)) / 12.0))
    v = low + (peak - low) * season ** 1.3 + rng.normal(0, 0.025, lat.shape)
    return np.clip(v, -0.2, 0.95)


def temperature_month(f, lon, lat, year_index, month, anomaly):
    """°C: 16.8 °C mean near 30° N, −1.1 °C per degree north, −6.5 °C km⁻¹, ±12.5 °C season."""
    mean = 16.8 - 1.1 * (lat - 30.0) - 0.0065 * f.elevation_m(lon, lat) + anomaly
    amp = 12.5 + 0.6 * (lat - 30.0)
    return mean - amp * np.cos(2 * np.pi * (month - 1) / 12.0)


def precipitation_month(f, lon, lat, month, factor):
    """mm month⁻¹: ~1300 mm yr⁻¹ near 30° N, wetter south and uphill, peak in June."""
    annual = 1300 + 120 * (30.0 - lat) + 0.25 * f.elevation_m(lon, lat)
    shape = 1 + 0.85 * np.cos(2 * np.pi * (month - 6) / 12.0)
    return np.clip(annual / 12.0 * shape * factor * (1 + 0.1 * f.noise(lon, lat, 100 + month)), 0, None)


def radiation_month(f, lon, lat, month, factor):
    """Mean W m⁻²: ~85 in January, ~210 in July near 30° N; less where wetter."""
    base = 147.0 - 62.0 * np.cos(2 * np.pi * (month - 1) / 12.0) - 2.0 * (lat - 30.0)
    return np.clip(base * factor * (1 - 0.04 * f.noise(lon, lat, 200 + month)), 20, None)


# ----------------------------------------------------------------------------- writing
def _grid(bounds, res):
    w, s, e, n = bounds
    width, height = int(math.ceil((e - w) / res)), int(math.ceil((n - s) / res))
    transform = from_origin(w, n, res, res)
    lon = w + (np.arange(width) + 0.5) * res
    lat = n - (np.arange(height) + 0.5) * res
    return transform, *np.meshgrid(lon, lat)


def _write_tif(path, data, transform, nodata=None, crs="EPSG:4326", **tags):
    path = Path(path)
    with atomic_output(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=data.shape[0], width=data.shape[1],
                           count=1, dtype=data.dtype, crs=crs, transform=transform, nodata=nodata,
                           compress="deflate", tiled=True, blockxsize=256, blockysize=256) as dst:
            dst.write(data, 1)
            if tags:
                dst.update_tags(**{k: str(v) for k, v in tags.items()})


def _land_mask(geoms, transform, shape):
    return rasterize(((g, 1) for g in geoms), out_shape=shape, transform=transform,
                     fill=0, dtype="uint8").astype(bool)


def output_paths(inputs: dict, boundaries_path, statistics_path, years) -> list[str]:
    """Every file :func:`generate` writes for these paths and years."""
    out = [str(boundaries_path), str(statistics_path)]
    for var, spec in inputs.items():
        for year in years:
            months = range(1, 13) if var in ("ndvi", "temperature", "precipitation", "radiation") else [None]
            out += [spec["path"].format(year=int(year), month=m) if m else spec["path"].format(year=int(year))
                    for m in months]
    return out


def generate(inputs: dict, boundaries_path, statistics_path, years, seed: int = 42,
             zero_light_county: bool = True, root=None) -> dict:
    """Write the demo inputs; returns a summary (ids of the special counties, paths).

    Parameters
    ----------
    inputs : the ``inputs`` config section; each variable's ``path`` pattern says where
        its files go (``{year}``, and ``{month}`` for monthly variables).
    boundaries_path, statistics_path : where the GeoPackage and the CSV go.
    years : the years to generate.
    root : the demo's own folder (``demo.root``): every output must lie below it, no file
        there that the generator did not create is overwritten, and every file written is
        listed in its manifest (:mod:`carbonbalance.manifest`).  Default: the common
        parent folder of the outputs.
    """
    from carbonbalance import manifest

    years = [int(y) for y in years]
    targets = output_paths(inputs, boundaries_path, statistics_path, years)
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
    fwd = _to_albers()
    core_xy = np.array([fwd.transform(*c) for c in cores_ll.values()])
    far = np.array([np.min(np.hypot(core_xy[:, 0] - p.x, core_xy[:, 1] - p.y)) for p in cents])
    far[gdf["county_id"].isin([island_id, tiny_id]).to_numpy()] = -1
    dark_id = gdf["county_id"].iloc[int(np.argmax(far))]
    dark_geom = gdf.loc[gdf["county_id"] == dark_id, "geometry"].iloc[0]

    w, s, e, n = gdf.total_bounds
    bounds = (math.floor((w - 0.15) * 20) / 20, math.floor((s - 0.15) * 20) / 20,
              math.ceil((e + 0.15) * 20) / 20, math.ceil((n + 0.15) * 20) / 20)
    geoms = list(gdf.geometry)
    written = []

    def path_of(var, year, month=None):
        pat = inputs[var]["path"]
        return pat.format(year=year, month=month) if month is not None else pat.format(year=year)

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
            raw[yr.random(raw.shape) < 0.002] = NDVI_FILL          # cloud-contaminated pixels
            _write_tif(path_of("ndvi", year, month), raw, tr, nodata=NDVI_FILL, scale_factor=0.0001)
            tr, lon, lat, land = grid_for("temperature")
            t = temperature_month(f, lon, lat, yi, month, anomaly)
            _write_tif(path_of("temperature", year, month), np.round(t * 10).astype("int16"), tr,
                       nodata=-32768, units="0.1 degC")
            p = precipitation_month(f, lon, lat, month, wet[month - 1])
            _write_tif(path_of("precipitation", year, month), p.astype("float32"), tr, nodata=-9999.0,
                       units="mm month-1")
            r = radiation_month(f, lon, lat, month, sunny[month - 1])
            _write_tif(path_of("radiation", year, month), r.astype("float32"), tr, nodata=-9999.0,
                       units="W m-2 (monthly mean)")
        written.append(year)

        tr, lon, lat, land = grid_for("landcover")
        _write_tif(path_of("landcover", year), landcover_igbp(f, lon, lat, land, yi), tr, nodata=255)
        tr, lon, lat, land = grid_for("landuse")
        _write_tif(path_of("landuse", year), landuse_cnlucc(f, lon, lat, land, yi), tr, nodata=LANDUSE_FILL)

        tr, lon, lat, land = grid_for("nightlight")
        u = f.urban(lon, lat, yi)
        light = 62.0 * u ** 1.6 * (1 + 0.06 * yi) + 0.8 * np.clip(f.noise(lon, lat, 300) - 0.9, 0, None)
        light[light < 0.3] = 0.0
        light[~land] = 0.0
        if zero_light_county:
            light[_land_mask([dark_geom], tr, lon.shape)] = 0.0
        _write_tif(path_of("nightlight", year), light.astype("float32"), tr, nodata=-1.0,
                   units="nW cm-2 sr-1")

        tr, lon, lat, land = grid_for("population")
        area_km2 = (111.32 * RESOLUTION_DEG["population"]) ** 2 * np.cos(np.radians(lat))
        dens = (180 + 60 * f.noise(lon, lat, 400)) * np.exp(-f.elevation_m(lon, lat) / 900) \
            + 9000 * f.urban(lon, lat, yi) ** 1.4
        pop = (dens * area_km2 * (1 + 0.005 * yi)).astype("float32")
        pop[~land] = POP_FILL
        _write_tif(path_of("population", year), pop, tr, nodata=POP_FILL, units="persons")

    stats = _statistics(gdf, f, years, path_of, seed)
    with atomic_output(statistics_path) as tmp:
        stats.to_csv(tmp, index=False)
    with atomic_output(boundaries_path) as tmp:
        gdf.to_file(tmp, driver="GPKG", layer="counties")
    manifest.record(root, targets)
    return {"counties": int(len(gdf)), "island_county": island_id, "tiny_county": tiny_id,
            "dark_county": dark_id, "years": written, "bounds_lonlat": list(bounds)}


def _statistics(gdf, f, years, path_of, seed) -> pd.DataFrame:
    """Per unit (every level) and year: CO2, GDP, population, energy and covariates."""
    rows = []
    rng = np.random.default_rng([seed, 99])
    ids = gdf["county_id"].to_numpy()
    base_gdp_pc = {cid: rng.uniform(3.5, 7.0) for cid in ids}          # 10^4 yuan per person
    base_int = {cid: rng.uniform(0.35, 0.85) for cid in ids}           # tce per 10^4 yuan
    sec = {cid: rng.uniform(0.28, 0.52) for cid in ids}
    thermal = {cid: rng.uniform(0.55, 0.92) for cid in ids}
    # year-to-year structure change, so that the panel models have within-unit variation
    drift = np.random.default_rng([seed, 98])
    sec_trend = {cid: drift.normal(0.0, 0.012) for cid in ids}         # share points per year
    int_decline = {cid: drift.uniform(0.92, 1.0) for cid in ids}       # energy intensity ratio per year
    thermal_trend = {cid: drift.normal(-0.01, 0.01) for cid in ids}
    for yi, year in enumerate(years):
        with rasterio.open(path_of("population", year)) as src:
            pop = src.read(1, masked=True).filled(0).astype("float64")
            label = rasterize(((g, i + 1) for i, g in enumerate(gdf.geometry)), out_shape=pop.shape,
                              transform=src.transform, fill=0, dtype="int32", all_touched=False)
        county_pop = np.bincount(label.ravel(), weights=pop.ravel(), minlength=len(gdf) + 1)[1:]
        cents = gdf.geometry.representative_point()
        urb = f.urban(cents.x.to_numpy(), cents.y.to_numpy(), yi)
        for i, cid in enumerate(ids):
            p = max(county_pop[i], 500.0)  # the tiny district has few pixel centres: a small town
            urban_rate = float(np.clip(0.38 + 0.45 * urb[i], 0.3, 0.95))
            gdp = p * base_gdp_pc[cid] * (1 + 0.5 * urb[i]) * (1.06 ** yi) * np.exp(drift.normal(0, 0.03))
            secondary = float(np.clip(sec[cid] + sec_trend[cid] * yi + drift.normal(0, 0.008), 0.15, 0.65))
            thermal_share = float(np.clip(thermal[cid] + thermal_trend[cid] * yi + drift.normal(0, 0.01), 0.3, 0.98))
            energy = gdp * base_int[cid] * int_decline[cid] ** yi * (1 + 0.6 * (secondary - sec[cid])) \
                * np.exp(drift.normal(0, 0.02))
            co2 = energy * 2.45 * (0.8 + 0.25 * thermal_share)
            rows.append(dict(unit_id=cid, level="county", year=year, population=p, gdp_10k_yuan=gdp,
                             energy_tce=energy, co2_emissions_t=co2,
                             engel_coefficient=float(np.clip(0.36 - 0.08 * urb[i] + rng.normal(0, 0.01), 0.2, 0.5)),
                             secondary_industry_share=secondary, thermal_power_share=thermal_share,
                             urbanisation_rate=urban_rate))
    county = pd.DataFrame(rows)
    county = county.merge(gdf[["county_id", "city_id", "province_id"]], left_on="unit_id",
                          right_on="county_id")
    out = [county]
    for level, col in (("city", "city_id"), ("province", "province_id")):
        g = county.groupby([col, "year"])
        agg = g[["population", "gdp_10k_yuan", "energy_tce", "co2_emissions_t"]].sum()
        agg["engel_coefficient"] = g.apply(lambda d: np.average(d.engel_coefficient, weights=d.population),
                                           include_groups=False)
        agg["urbanisation_rate"] = g.apply(lambda d: np.average(d.urbanisation_rate, weights=d.population),
                                           include_groups=False)
        agg["secondary_industry_share"] = g.apply(
            lambda d: np.average(d.secondary_industry_share, weights=d.gdp_10k_yuan), include_groups=False)
        agg["thermal_power_share"] = g.apply(lambda d: np.average(d.thermal_power_share, weights=d.energy_tce),
                                             include_groups=False)
        agg = agg.reset_index().rename(columns={col: "unit_id"})
        agg["level"] = level
        out.append(agg)
    table = pd.concat(out, ignore_index=True)
    table["energy_efficiency"] = table["gdp_10k_yuan"] / table["energy_tce"]
    cols = ["unit_id", "level", "year", "co2_emissions_t", "gdp_10k_yuan", "population", "energy_tce",
            "engel_coefficient", "secondary_industry_share", "energy_efficiency", "thermal_power_share",
            "urbanisation_rate"]
    return table[cols].round(6)
