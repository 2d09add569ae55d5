"""The emission tests' world: two provinces of counties on the small grid, with night light,
population and land use stores, cell areas and the unit assignment."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from carbonbalance.core.assignment import build_coverage, write_coverage
from carbonbalance.core.store import create_store, write_block
from carbonbalance.ingest.stage import write_cell_area

LEVELS = {"county": "county_id", "province": "province_id"}


@pytest.fixture
def world(tmp_path, small_grid):
    """Two provinces of 40 x 25 km on the 40 x 50 small grid: West (3 counties), East (2 counties
    and a 300 m district without any cell centre); one East county is dark at night."""
    g = small_grid
    x0, y0, x1, y1 = g.bounds
    rows = []
    for k, (a, b) in enumerate([(0, 8), (8, 17), (17, 25)]):
        rows.append((f"W{k}", "W", box(x0 + a * 1000, y0, x0 + b * 1000, y1)))
    rows.append(("E0", "E", box(x0 + 25_000, y0, x0 + 38_000, y1)))
    rows.append(("E1", "E", box(x0 + 38_000, y0, x1, y1)))
    # a tiny district between cell centres (centres are at .5 km), cut out of E0
    tiny = box(x0 + 30_000 + 50, y0 + 20_000 + 50, x0 + 30_000 + 350, y0 + 20_000 + 350)
    rows[3] = ("E0", "E", rows[3][2].difference(tiny))
    rows.append(("E2", "E", tiny))
    gdf = gpd.GeoDataFrame(
        {"county_id": [r[0] for r in rows], "province_id": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=g.crs,
    )
    rng = np.random.default_rng(3)
    light = rng.gamma(0.6, 10, g.shape).astype("float32")
    col = np.arange(g.width)[None, :].repeat(g.height, 0)
    light[:, 38:] = 0.0  # county E1 is dark
    light[5, 5] = np.nan  # a nodata cell counts as zero light
    pop = rng.gamma(1.0, 200, g.shape).astype("float32")
    landuse = np.where(col % 7 == 0, 51, np.where(col % 11 == 0, 53, np.where(col % 5 == 0, 41, 11))).astype("float64")
    landuse[:, 40:] = np.where(landuse[:, 40:] == 53, 11, landuse[:, 40:])  # no industrial land in E1 east of 40
    landuse[0, 0] = np.nan
    paths = {}
    for var, data, units in (
        ("nightlight", light, "nW cm-2 sr-1"),
        ("population", pop, "persons"),
        ("landuse", landuse, "class"),
    ):
        paths[var] = tmp_path / f"{var}.zarr"
        create_store(paths[var], g, {var: {"dtype": data.dtype.name, "attrs": {"units": units}}})
        write_block(paths[var], var, data, slice(None), slice(None))
    paths["cell_area"] = tmp_path / "cell_area.zarr"
    write_cell_area(g, paths["cell_area"])
    paths["assignment"] = tmp_path / "unit_assignment.zarr"
    cov, rec = build_coverage(gdf, g, "county_id")
    write_coverage(cov, g, paths["assignment"], rec, levels=LEVELS)
    stats = pd.DataFrame(
        {
            "unit_id": ["W", "E", "W0", "W1", "W2", "E0", "E1", "E2"],
            "level": ["province"] * 2 + ["county"] * 6,
            "year": 2020,
            "co2_tco2": [3.0e6, 5.0e6, 1e6, 1e6, 1e6, 2e6, 2.5e6, 0.5e6],
        }
    )
    return {
        "grid": g,
        "gdf": gdf,
        "paths": paths,
        "stats": stats,
        "light": light,
        "pop": pop,
        "landuse": landuse,
        "labels_record": rec,
        "tmp": tmp_path,
        "levels": LEVELS,
    }
