"""Boundaries: the unit table, nesting, duplicate and shared ids, empty layers, overlaps, repair."""

import geopandas as gpd
import pytest
from conftest import BOUNDARY_LEVELS as LEVELS
from conftest import boundary_units, statistics_config
from shapely.geometry import Polygon, box

from carbonbalance.errors import InputError
from carbonbalance.ingest.boundaries import (
    check_overlaps,
    read_boundaries,
    unit_table,
)
from carbonbalance.ingest.statistics import read_statistics


def test_unit_table_lists_every_level(boundaries):
    t = boundary_units(boundaries)
    assert t.groupby("level").size().to_dict() == {"county": 4, "city": 2, "province": 1}
    assert set(t.loc[t.level == "city", "province_id"]) == {"910000"}


def test_boundaries_that_do_not_nest(tmp_path):
    rows = [
        dict(county_id="1", county_name="a", city_id="10", province_id="100", geometry=box(0, 0, 1, 1)),
        dict(county_id="2", county_name="b", city_id="10", province_id="200", geometry=box(1, 0, 2, 1)),
    ]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match=r"city\(s\) \['10'\] belong to more than one province"):
        read_boundaries(path, LEVELS)


def test_boundaries_duplicate_ids_missing_columns_and_repair(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    rows = [
        dict(county_id="1", county_name="a", city_id="10", province_id="100", geometry=bowtie),
        dict(county_id="2", county_name="b", city_id="10", province_id="100", geometry=box(1, 0, 2, 1)),
    ]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    g = read_boundaries(path, LEVELS)
    assert g.attrs["n_repaired"] == 1 and g.geometry.is_valid.all()
    with pytest.raises(InputError, match=r"lacks column\(s\) \['region3'\]"):
        read_boundaries(path, LEVELS, groups=["region3"])
    rows[1]["county_id"] = "1"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match=r"duplicate county id\(s\) \['1'\]"):
        read_boundaries(path, LEVELS)


def test_an_id_used_at_two_levels_is_caught_with_the_boundaries(tmp_path):
    """Dongguan: a city with a single county, 441900 as both city and county id."""
    rows = [
        dict(
            county_id="441900", county_name="Dongguan", city_id="441900", province_id="440000", geometry=box(0, 0, 1, 1)
        ),
        dict(county_id="440103", county_name="Liwan", city_id="440100", province_id="440000", geometry=box(1, 0, 2, 1)),
    ]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    with pytest.raises(
        InputError,
        match=r"id\(s\) \['441900'\] are used both as county and as city ids .*distinct "
        r"ids.*statistics\.level_column",
    ):
        read_boundaries(path, LEVELS)
    gdf = read_boundaries(path, LEVELS, shared_ids_ok=True)
    units = unit_table(gdf, LEVELS)
    csv_rows = {
        "unit_id": ["441900", "441900", "440000"],
        "level": ["county", "city", "province"],
        "year": [2020] * 3,
        "co2": [30.0, 30.0, 600.0],
        "gdp": [9000.0, 9000.0, 110000.0],
        "pop": [1000.0, 1000.0, 12000.0],
    }
    t = read_statistics(statistics_config(tmp_path, csv_rows, level_column="level"), units)
    assert t["level"].tolist() == ["county", "city", "province"]
    with pytest.raises(
        InputError,
        match=r"unit id '441900' is used at several boundaries levels .*"
        r"statistics\.level_column",
    ):
        read_statistics(statistics_config(tmp_path, csv_rows), units)


def test_empty_boundaries_layer_is_named(tmp_path):
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"county_id": [], "city_id": [], "province_id": []}, geometry=[], crs="EPSG:4326").to_file(path)
    with pytest.raises(
        InputError,
        match=r"boundaries: .*empty\.gpkg \(layer the first\) has no features; point "
        r"boundaries\.path / boundaries\.layer",
    ):
        read_boundaries(path, LEVELS[1:])


def test_overlapping_units_are_named_with_the_overlap_area():
    a, b, c = box(0, 0, 10_000, 10_000), box(9_000, 0, 19_000, 10_000), box(19_000, 0, 29_000, 10_000)
    gdf = gpd.GeoDataFrame({"county_id": ["A", "B", "C"]}, geometry=[a, b, c], crs="EPSG:3857")
    with pytest.raises(
        InputError,
        match=r"1 pair\(s\) of units overlap beyond boundaries\.max_overlap_share = "
        r"0\.001 .*A and B: 10 km² \(10\.00 % of the smaller\)",
    ):
        check_overlaps(gdf, "county_id", 0.001)
    assert check_overlaps(gdf, "county_id", 0.2)["overlapping_pairs_within_tolerance"] == 1
