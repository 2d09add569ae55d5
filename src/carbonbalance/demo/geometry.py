"""Demo boundaries: provinces → cities → counties by nested Voronoi partitions of an
irregular land mass, with an island county and a county smaller than 2 km²."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely import MultiPoint, Point, Polygon, voronoi_polygons

from carbonbalance.core.grid import CHINA_ALBERS

#: Lattice (m, grid CRS) that the tiny county is placed on, so that it contains no
#: cell centre on 1, 2, 3 or 6 km grids of the default CRS.
TINY_LATTICE_M = 12_000.0

_SYLLABLES = [
    "an",
    "bei",
    "chang",
    "dong",
    "feng",
    "gu",
    "he",
    "hua",
    "jiang",
    "jin",
    "kang",
    "lin",
    "long",
    "mei",
    "nan",
    "ning",
    "ping",
    "qing",
    "shan",
    "shui",
    "tai",
    "tian",
    "wu",
    "xi",
    "xin",
    "yang",
    "yun",
    "ze",
    "zhong",
    "zhou",
]


def _name(rng) -> str:
    a, b = rng.choice(_SYLLABLES, 2, replace=False)
    return (a + b).capitalize()


def to_albers():
    return Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True)


# ----------------------------------------------------------------------------- geometry
def _blob(cx, cy, rx, ry, rng, n=360, harmonics=6, rough=0.12) -> Polygon:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones_like(t)
    for k in range(2, 2 + harmonics):
        r += rough / k**0.7 * rng.normal() * np.cos(k * t + rng.uniform(0, 2 * np.pi))
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


def make_boundaries(
    rng,
    centre_lonlat=(113.9, 30.0),
    radius_m=(175_000, 140_000),
    n_provinces=3,
    cities_per_province=3,
    counties_per_city=4,
) -> gpd.GeoDataFrame:
    """Demo counties in EPSG:4326 with city/province parents and a ``region3`` group."""
    fwd = to_albers()
    cx, cy = fwd.transform(*centre_lonlat)
    land = _blob(cx, cy, radius_m[0], radius_m[1], rng)
    rows = []
    prov_seeds = _spread_points(land, n_provinces, rng)
    # West → East order of provinces for ids and the region3 grouping
    prov_seeds.sort(key=lambda p: p[0])
    region3 = ["West", "Central", "East"] if n_provinces == 3 else [f"R{i + 1}" for i in range(n_provinces)]
    city_cores = {}
    for pi, (prov, _seed) in enumerate(zip(_partition(land, prov_seeds), prov_seeds), start=1):
        pid, pname = f"{90 + pi}0000", _name(rng)
        cseeds = _spread_points(prov, cities_per_province, rng)
        for ci, (city, cseed) in enumerate(zip(_partition(prov, cseeds), cseeds), start=1):
            cid, cname = f"{90 + pi}{ci:02d}00", _name(rng)
            city_cores[cid] = cseed
            kseeds = _spread_points(city, counties_per_city, rng)
            for ki, county in enumerate(_partition(city, kseeds), start=1):
                rows.append(
                    dict(
                        county_id=f"{90 + pi}{ci:02d}{ki:02d}",
                        county_name=_name(rng) + " County",
                        city_id=cid,
                        city_name=cname + " City",
                        province_id=pid,
                        province_name=pname + " Province",
                        region3=region3[pi - 1],
                        geometry=county,
                    )
                )
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
        geom = Polygon(
            [(X + 200, Y + 1600), (X + 1500, Y + 1560), (X + 1800, Y + 2000), (X + 1300, Y + 2420), (X + 350, Y + 2300)]
        )
        hosts = gdf.index[gdf.contains(geom.buffer(50))]
        if len(hosts):
            return geom, hosts[0]
    raise RuntimeError("could not place the tiny demo county; change demo.seed")


# ----------------------------------------------------------------------------- fields
