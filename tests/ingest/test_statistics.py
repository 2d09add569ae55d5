"""The statistics table: units, validation, plausible ratios, cells read as missing."""

import numpy as np
import pandas as pd
import pytest
from conftest import BOUNDARY_LEVELS as LEVELS
from conftest import boundary_units, statistics_config

from carbonbalance.errors import ConfigError, InputError
from carbonbalance.ingest.boundaries import (
    read_boundaries,
    unit_table,
)
from carbonbalance.ingest.statistics import read_statistics


def stats_cfg(path, **extra):
    cfg = {
        "path": str(path),
        "unit_column": "unit_id",
        "year_column": "year",
        "columns": {
            "co2_tco2": {"column": "co2", "units": "Mt CO2"},
            "gdp_1e4yuan": {"column": "gdp", "units": "10^8 yuan"},
            "engel_coefficient": {"column": "engel", "units": "%"},
        },
    }
    cfg.update(extra)
    return cfg


def test_statistics_converted_to_canonical_units(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame(
        {
            "unit_id": ["910000", "910101"],
            "year": [2020, 2020],
            "co2": [1.5, 0.2],
            "gdp": [10.0, 2.0],
            "engel": [30.0, 28.0],
        }
    ).to_csv(csv, index=False)
    t = read_statistics(stats_cfg(csv), boundary_units(boundaries))
    assert t["co2_tco2"].tolist() == [1.5e6, 0.2e6]
    assert t["gdp_1e4yuan"].tolist() == [1e5, 2e4]
    assert t["engel_coefficient"].tolist() == pytest.approx([0.30, 0.28])
    assert t["level"].tolist() == ["province", "county"]


def test_statistics_missing_required_column(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": [1.0], "engel": [30]}).to_csv(csv, index=False)
    with pytest.raises(InputError, match=r"statistics: .*s\.csv lacks required column\(s\) \['gdp'\]"):
        read_statistics(stats_cfg(csv), boundary_units(boundaries))


def test_statistics_unknown_unit_id(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame(
        {"unit_id": ["910000", "999999"], "year": [2020, 2020], "co2": [1.0, 1.0], "gdp": [1, 1], "engel": [30, 30]}
    ).to_csv(csv, index=False)
    with pytest.raises(
        InputError,
        match=r"unit id\(s\) \['999999'\] in column 'unit_id' \(CSV row\(s\) \[3\]\) "
        r"are not in the boundaries",
    ):
        read_statistics(stats_cfg(csv), boundary_units(boundaries))


def test_statistics_negative_and_non_numeric(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": [-1.0], "gdp": [1], "engel": [30]}).to_csv(
        csv, index=False
    )
    with pytest.raises(InputError, match=r"column 'co2' \(co2_tco2\) is negative at CSV row\(s\) \[2\]"):
        read_statistics(stats_cfg(csv), boundary_units(boundaries))
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": ["12,5"], "gdp": [1], "engel": [30]}).to_csv(
        csv, index=False
    )
    with pytest.raises(InputError, match=r"column 'co2' \(co2_tco2\) has non-numeric"):
        read_statistics(stats_cfg(csv), boundary_units(boundaries))


def test_statistics_long_format_and_unknown_unit(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame(
        {"unit_id": ["910000"] * 3, "year": [2020] * 3, "variable": ["co2", "gdp", "engel"], "value": [1.0, 2.0, 30.0]}
    ).to_csv(csv, index=False)
    t = read_statistics(stats_cfg(csv, format="long"), boundary_units(boundaries))
    assert t["co2_tco2"].iloc[0] == 1e6
    bad = stats_cfg(csv, format="long")
    bad["columns"]["co2_tco2"]["units"] = "kg"
    with pytest.raises(ConfigError, match=r"statistics\.columns\.co2_tco2\.units: unknown unit 'kg'"):
        read_statistics(bad, boundary_units(boundaries))


def test_carbon_is_converted_to_co2_explicitly(tmp_path, boundaries):
    csv = tmp_path / "s.csv"
    pd.DataFrame({"unit_id": ["910000"], "year": [2020], "co2": [12.0], "gdp": [0.001], "engel": [30]}).to_csv(
        csv, index=False
    )
    cfg = stats_cfg(csv)
    cfg["columns"]["co2_tco2"]["units"] = "t C"
    assert read_statistics(cfg, boundary_units(boundaries))["co2_tco2"].iloc[0] == pytest.approx(44.0)


def test_co2_in_t_declared_as_mt_stops_the_run_naming_the_unit(tmp_path, boundaries):
    units = unit_table(read_boundaries(boundaries, LEVELS), LEVELS)
    rows = {
        "unit_id": ["910000", "910101"],
        "year": [2020, 2020],
        "co2": [40e6, 3e6],
        "gdp": [5000.0, 400.0],
        "pop": [500.0, 40.0],
    }  # CO2 in t, declared as Mt
    with pytest.raises(
        InputError,
        match=r"co2_tco2/population_persons \(co2_t_per_person\) of 2 unit-year\(s\) lies "
        r"outside the plausible range \[0\.05, 500\]: \(unit, level, year, value\) "
        r"\[\('910000', 'province', 2020, 8000000\.0\).*statistics\.columns\.co2_tco2\."
        r"units.*statistics\.plausibility\.co2_t_per_person",
    ):
        read_statistics(statistics_config(tmp_path, rows), units)
    rows["co2"] = [40.0, 3.0]
    t = read_statistics(statistics_config(tmp_path, rows), units)
    assert t["co2_tco2"].tolist() == [40e6, 3e6]


def test_cells_read_as_missing_are_named_with_what_they_leave_undefined(tmp_path, boundaries, caplog):
    units = unit_table(read_boundaries(boundaries, LEVELS), LEVELS)
    rows = {
        "unit_id": ["910000", "910101", "910102"],
        "year": [2020] * 3,
        "co2": [40.0, 3.0, 2.0],
        "gdp": ["5000", "n/a", "300"],
        "pop": [500.0, 40.0, 30.0],
    }
    t = read_statistics(statistics_config(tmp_path, rows), units)
    assert np.isnan(t.loc[1, "gdp_1e4yuan"])
    assert t.attrs["missing_cells"] == [
        {"column": "gdp", "variable": "gdp_1e4yuan", "csv_row": 3, "unit_id": "910101", "year": 2020, "read": "n/a"}
    ]
    assert "1 cell(s) of gdp_1e4yuan read as missing: row 3 (910101 2020: 'n/a'); this leaves ECC" in caplog.text
    rows["gdp"] = ["5000", "unknown", "300"]
    with pytest.raises(
        InputError,
        match=r"column 'gdp' \(gdp_1e4yuan\) has non-numeric value\(s\) \['unknown'\] at "
        r"CSV row\(s\) \[3\].*statistics\.missing_values",
    ):
        read_statistics(statistics_config(tmp_path, rows), units)
