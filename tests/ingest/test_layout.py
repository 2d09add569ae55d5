"""Path patterns: {doy}, {tile}, wildcards, stacks, and what the Snakefile lists."""

import pytest

from carbonbalance.errors import ConfigError
from carbonbalance.ingest import layout


def test_first_day_of_the_month_names_modis_files():
    assert [layout.first_doy(2019, m) for m in (1, 2, 3, 12)] == [1, 32, 60, 335]
    assert [layout.first_doy(2020, m) for m in (2, 3, 12)] == [32, 61, 336]  # leap year


def test_steps_tiles_wildcards_and_stacks(tmp_path):
    for tile in ("h27v05", "h28v05"):
        (tmp_path / f"M.A2020032.{tile}.061.2020123.hdf").write_bytes(b"x")
    cfg = {"path": str(tmp_path / "M.A{year}{doy:03d}.{tile}.061.*.hdf"), "tiles": ["h27v05", "h28v05"]}
    steps = layout.steps(cfg, "ndvi", 2020, monthly=True)
    assert len(steps) == 12 and not steps[1].missing and len(steps[1].files) == 2 and not steps[1].stacked
    assert steps[0].missing_tiles == ("h27v05", "h28v05")
    assert "no file for tile(s) ['h27v05', 'h28v05']" in layout.missing_description(steps[0], "ndvi", 2020)
    # a monthly input without {month}: one file holds the months
    (tmp_path / "t_2020.nc").write_bytes(b"x")
    stack = layout.steps({"path": str(tmp_path / "t_{year}.nc")}, "temperature", 2020, monthly=True)
    assert all(s.stacked and s.files == (str(tmp_path / "t_2020.nc"),) for s in stack)
    assert layout.input_files({"path": str(tmp_path / "t_{year}.nc")}, "temperature", 2020, True) == [
        str(tmp_path / "t_2020.nc")
    ]
    # a missing file without wildcards is listed by name (Snakemake names it too)
    assert layout.input_files({"path": str(tmp_path / "x_{year}.tif")}, "landuse", 2021, False) == [
        str(tmp_path / "x_2021.tif")
    ]


def test_pattern_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"inputs\.ndvi\.path has \{tile\} but inputs\.ndvi\.tiles lists no tile"):
        layout.steps({"path": "a_{tile}.hdf"}, "ndvi", 2020, True)
    with pytest.raises(ConfigError, match=r"inputs\.ndvi\.tiles is set but inputs\.ndvi\.path has no \{tile\}"):
        layout.steps({"path": "a.hdf", "tiles": ["h1"]}, "ndvi", 2020, True)
    with pytest.raises(ConfigError, match=r"inputs\.landuse\.path: cannot format 'a_\{yr\}\.tif'"):
        layout.steps({"path": "a_{yr}.tif"}, "landuse", 2020, False)
