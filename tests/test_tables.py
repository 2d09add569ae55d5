"""Statistics-table and boundary validation."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from carbonbalance.ingest.boundaries import Level, read_boundaries, unit_table
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.ingest.statistics import read_statistics

LEVELS = [Level("county", "county_id", "county_name"), Level("city", "city_id"), Level("province", "province_id")]


@pytest.fixture
def boundaries(tmp_path):
    rows = [dict(county_id=f"91010{i}", county_name=f"C{i}", city_id="910100" if i < 3 else "910200",
                 province_id="910000", geometry=box(i, 0, i + 1, 1)) for i in range(1, 5)]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    return path


def stats_cfg(path, **extra):
    cfg = {"path": str(path), "unit_column": "unit_id", "year_column": "year",
           "columns": {"co2_tco2": {"column": "co2", "units": "Mt CO2"},
                       "gdp_1e4yuan": {"column": "gdp", "units": "10^8 yuan"},
                       "engel_coefficient": {"column": "engel", "units": "%"}}}
    cfg.update(extra)
    return cfg


def units(boundaries):
    return unit_table(read_boundaries(boundaries, LEVELS), LEVELS)


def test_unit_table_lists_every_level(boundaries):
    t = units(boundaries)
    assert t.groupby("level").size().to_dict() == {"county": 4, "city": 2, "province": 1}
    assert set(t.loc[t.level == "city", "province_id"]) == {"910000"}


def test_statistics_converted_to_canonical_units(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000", "910101"], "year": [2020, 2020], "co2": [1.5, 0.2],
                  "gdp": [10.0, 2.0], "engel": [30.0, 28.0]}).to_csv(csv, index=False)
    t = read_statistics(stats_cfg(csv), units(boundaries))
    assert t["co2_tco2"].tolist() == [1.5e6, 0.2e6]
    assert t["gdp_1e4yuan"].tolist() == [1e5, 2e4]
    assert t["engel_coefficient"].tolist() == pytest.approx([0.30, 0.28])
    assert t["level"].tolist() == ["province", "county"]


def test_statistics_missing_required_column(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": [1.0], "engel": [30]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"statistics: .*s\.csv lacks required column\(s\) \['gdp'\]"):
        read_statistics(stats_cfg(csv), units(boundaries))


def test_statistics_unknown_unit_id(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000", "999999"], "year": [2020, 2020], "co2": [1.0, 1.0], "gdp": [1, 1],
                  "engel": [30, 30]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"unit id\(s\) \['999999'\] in column 'unit_id' \(CSV row\(s\) \[3\]\) "
                                         r"are not in the boundaries"):
        read_statistics(stats_cfg(csv), units(boundaries))


def test_statistics_negative_and_non_numeric(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": [-1.0], "gdp": [1], "engel": [30]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"column 'co2' \(co2_tco2\) is negative at CSV row\(s\) \[2\]"):
        read_statistics(stats_cfg(csv), units(boundaries))
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": ["12,5"], "gdp": [1], "engel": [30]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"column 'co2' \(co2_tco2\) has non-numeric"):
        read_statistics(stats_cfg(csv), units(boundaries))


def test_statistics_long_format_and_unknown_unit(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000"] * 3, "year": [2020] * 3, "variable": ["co2", "gdp", "engel"],
                  "value": [1.0, 2.0, 30.0]}).to_csv(csv, index=False)
    t = read_statistics(stats_cfg(csv, format="long"), units(boundaries))
    assert t["co2_tco2"].iloc[0] == 1e6
    bad = stats_cfg(csv, format="long")
    bad["columns"]["co2_tco2"]["units"] = "kg"
    with pytest.raises(ConfigError, match=r"statistics\.columns\.co2_tco2\.units: unknown unit 'kg'"):
        read_statistics(bad, units(boundaries))


def test_carbon_is_converted_to_co2_explicitly(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": [12.0], "gdp": [0.001], "engel": [30]}).to_csv(
        csv, index=False)
    cfg = stats_cfg(csv)
    cfg["columns"]["co2_tco2"]["units"] = "t C"
    assert read_statistics(cfg, units(boundaries))["co2_tco2"].iloc[0] == pytest.approx(44.0)


def test_boundaries_that_do_not_nest(tmp_path):
    rows = [dict(county_id="1", county_name="a", city_id="10", province_id="100", geometry=box(0, 0, 1, 1)),
            dict(county_id="2", county_name="b", city_id="10", province_id="200", geometry=box(1, 0, 2, 1))]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match=r"city\(s\) \['10'\] belong to more than one province"):
        read_boundaries(path, LEVELS)


def test_boundaries_duplicate_ids_missing_columns_and_repair(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    rows = [dict(county_id="1", county_name="a", city_id="10", province_id="100", geometry=bowtie),
            dict(county_id="2", county_name="b", city_id="10", province_id="100", geometry=box(1, 0, 2, 1))]
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
