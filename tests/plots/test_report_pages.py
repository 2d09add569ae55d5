"""The report's table pages: readable headers over the CSV's column names, numbers a reader
can take in, region totals and zone counts that add up, the run page's checksums."""

import hashlib

import pandas as pd
import pytest

from carbonbalance.plots import report


def test_html_table_headers_carry_the_readable_name_and_the_column():
    frame = pd.DataFrame({"unit_id": ["910101"], "year": [2020], "ce_tco2": [21310351.6], "cbi": [3.020504],
                          "covariate": ["log(gdp_1e4yuan/population_persons)"], "units": ["g C m-2 yr-1"]})  # fmt: skip
    html = report.html_table(frame)
    assert "carbon emissions CE (t CO₂)<code>ce_tco2</code>" in html
    assert ">21,310,352<" in html and ">3.021<" in html and ">2020<" in html  # masses with separators
    assert "log(GDP per person)" in html and "g C m⁻² yr⁻¹" in html
    assert report.column_label("within_pct") == "within groups (% of the Gini)"


def test_region_totals_and_zone_counts_add_up():
    budget = pd.DataFrame({
        "unit_id": ["a", "b", "a", "b"], "year": [2019, 2019, 2020, 2020],
        "ce_tco2": [10.0, 30.0, 12.0, 28.0], "cs_tco2": [20.0, 20.0, 10.0, 30.0], "cb_tco2": [-10.0, 10.0, 2.0, -2.0],
        "zone_fan2024": ["carbon sink functional", "high-carbon optimisation", "high-carbon optimisation",
                         "carbon sink functional"],
    })  # fmt: skip
    totals = report.region_totals(budget).set_index("year")
    assert totals.loc[2019, "ce_tco2"] == 40.0 and totals.loc[2019, "cbi"] == pytest.approx(1.0)
    assert totals.loc[2020, "cbi"] == pytest.approx(40.0 / 40.0) and totals.loc[2020, "units"] == 2
    zones = report.zone_counts(budget).set_index("zone")
    assert zones.loc["carbon sink functional", "2019"] == 1 and zones[["2019", "2020"]].sum().tolist() == [2, 2]


def test_run_page_lists_every_input_with_its_digest_and_the_summary_is_valid_rst():
    from docutils.core import publish_parts

    digests = {"a.tif": "1" * 64, "b.tif": "2" * 64}
    meta = {
        "created": "2026-12-02T09:00:00+00:00",
        "versions": {"carbonbalance": "0.1.0", "GDAL": "3.10.3"},
        "config": {"run_name": "t", "years": [2019, 2020], "inputs": {"ndvi": {"path": "ndvi_{year}.tif"}},
                   "boundaries": {"path": "b.gpkg", "levels": [{"name": "county"}]}},
        "stages": {
            "boundaries": {"path": "b.gpkg", "sha256": "f" * 64, "units_per_level": {"county": 3}},
            "align": {f"ndvi/{y}": {"variable": "ndvi", "year": y, "sources": [{"files": [f], "sha256": {f: d}}]}
                      for y, (f, d) in zip((2019, 2020), digests.items())},
        },
    }  # fmt: skip
    files = report.input_files(meta)
    assert set(files["file"]) == {"b.gpkg", "a.tif", "b.tif"}
    combined = files.attrs["combined"]
    assert combined["boundaries"] == "f" * 64  # one file: its own digest
    assert combined["ndvi"] == hashlib.sha256(("1" * 64 + "2" * 64).encode()).hexdigest()
    page = report.run_page(meta)
    assert "1" * 64 in page and "GDAL" in page
    rst = report.run_summary_rst(meta)
    html = publish_parts(rst, writer_name="html", settings_overrides={"report_level": 2, "halt_level": 2})["body"]
    assert "3.10.3" in html and "3 county" in html and "<table" in html


def test_last_year_units_keep_the_columns_the_table_has_largest_first():
    table = pd.DataFrame({"unit_id": ["a", "b", "c", "a"], "year": [2020, 2020, 2020, 2019],
                          "ce_tco2": [1.0, 3.0, 2.0, 9.0], "extra": [0, 0, 0, 0]})  # fmt: skip
    last, rows = report.last_year_units(table, ["unit_id", "ce_tco2", "absent"], "ce_tco2")
    assert last == 2020 and list(rows.columns) == ["unit_id", "ce_tco2"] and list(rows["unit_id"]) == ["b", "c", "a"]
