"""The embedded demo region looks and behaves like real data."""

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from conftest import ROOT
from rasterio.features import rasterize

from carbonbalance import demo
from carbonbalance.core.grid import CHINA_ALBERS


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    inputs = yaml.safe_load((ROOT / "config/demo.yaml").read_text())["inputs"]
    inputs = {k: {**v, "path": str(out / v["path"].replace("resources/demo/", ""))} for k, v in inputs.items()}
    summary = demo.generate(inputs, out / "b.gpkg", out / "s.csv", [2019, 2020, 2021], seed=42)
    import geopandas as gpd

    return summary, inputs, gpd.read_file(out / "b.gpkg"), pd.read_csv(out / "s.csv", dtype={"unit_id": str})


def test_demo_is_deterministic(tmp_path, demo_run):
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    a, b = demo.make_boundaries(rng1), demo.make_boundaries(rng2)
    assert a.geometry.equals(b.geometry)


def test_demo_boundaries_are_the_same_bytes_whenever_written(tmp_path, demo_run):
    """GDAL stamps a GeoPackage with the time it was written; the demo's does not change, so
    that its SHA-256 in run_metadata.json is the same for two generations of the demo."""
    import time

    from carbonbalance.demo.manifest import sha256

    gdf = demo_run[2]
    demo.inputs.write_gpkg(gdf, tmp_path / "a.gpkg", "counties")
    time.sleep(1.1)
    demo.inputs.write_gpkg(gdf, tmp_path / "b.gpkg", "counties")
    assert sha256(tmp_path / "a.gpkg") == sha256(tmp_path / "b.gpkg")


def test_demo_boundaries_structure(demo_run):
    summary, _, gdf, _ = demo_run
    assert gdf.crs.to_epsg() == 4326
    assert gdf["province_id"].nunique() >= 3 and gdf["city_id"].nunique() >= 9 and len(gdf) >= 36
    assert gdf.groupby("city_id").size().min() >= 4
    assert set(gdf["region3"]) == {"East", "Central", "West"}
    albers = gdf.to_crs(CHINA_ALBERS).set_index("county_id")
    # irregular shapes: far from the rectangles of a regular grid
    assert (albers.area / albers.envelope.area).median() < 0.9
    # the island touches no other county; the tiny county is under 2 km²
    island = albers.loc[summary["island_county"], "geometry"]
    others = albers.drop(index=summary["island_county"])
    assert others.distance(island).min() > 1000
    assert albers.loc[summary["tiny_county"]].geometry.area < 2e6
    # counties do not overlap
    assert albers.area.sum() == pytest.approx(albers.union_all().area, rel=1e-9)


def test_demo_rasters_behave_physically(demo_run):
    summary, inputs, gdf, _ = demo_run
    with rasterio.open(inputs["temperature"]["path"].format(year=2020, month=1)) as src:
        jan = src.read(1) * 0.1
        north_south = jan[:5].mean() < jan[-5:].mean()  # colder in the north
    with rasterio.open(inputs["temperature"]["path"].format(year=2020, month=7)) as src:
        jul = src.read(1) * 0.1
    assert north_south and jul.mean() - jan.mean() > 15
    with (
        rasterio.open(inputs["ndvi"]["path"].format(year=2020, month=7)) as s7,
        rasterio.open(inputs["ndvi"]["path"].format(year=2020, month=1)) as s1,
    ):
        n7, n1 = s7.read(1), s1.read(1)
        assert s7.dtypes[0] == "int16" and (n7 == -3000).any()
        valid = (n7 != -3000) & (n1 != -3000)
        assert n7[valid].mean() > n1[valid].mean() + 1000  # summer greener (scaled by 1e4)
    with rasterio.open(inputs["nightlight"]["path"].format(year=2020)) as src:
        light = src.read(1)
        dark = gdf.loc[gdf.county_id == summary["dark_county"], "geometry"]
        mask = rasterize([(g, 1) for g in dark], out_shape=light.shape, transform=src.transform).astype(bool)
        assert light[mask].sum() == 0 and light.max() > 20


def test_demo_statistics_cover_all_units_and_nest(demo_run):
    _, _, gdf, stats = demo_run
    counties = stats[stats.level == "county"]
    assert set(counties.unit_id) == set(gdf.county_id)
    for col in ("co2_emissions_t", "gdp_10k_yuan", "population", "energy_tce"):
        prov = stats[stats.level == "province"].set_index(["unit_id", "year"])[col]
        merged = counties.merge(gdf[["county_id", "province_id"]], left_on="unit_id", right_on="county_id")
        summed = merged.groupby(["province_id", "year"])[col].sum()
        np.testing.assert_allclose(prov.sort_index().values, summed.sort_index().values, rtol=1e-6)
    assert stats[["engel_coefficient", "urbanisation_rate", "secondary_industry_share"]].stack().between(0, 1).all()
