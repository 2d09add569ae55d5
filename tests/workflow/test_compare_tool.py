"""tools/compare_results.py: the byte-identity check of the restructure (issue 16)."""

import json
import runpy
import shutil
import time

import geopandas as gpd
from helpers import ROOT
from shapely.geometry import box

compare = runpy.run_path(str(ROOT / "tools" / "compare_results.py"))["compare"]


def _tree(root, created):
    (root / "tables").mkdir(parents=True)
    (root / "tables" / "budget_county.csv").write_text("unit_id,ce_tco2\n1,2.5\n")
    (root / "run_metadata.json").write_text(json.dumps({"created": created, "seed": 1}))
    gdf = gpd.GeoDataFrame({"unit": ["a"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    gdf.to_file(root / "units.gpkg", layer="units", driver="GPKG")


def test_only_timestamps_may_differ(tmp_path):
    _tree(tmp_path / "a", "2026-01-01T00:00:00+00:00")
    time.sleep(1.1)
    _tree(tmp_path / "b", "2026-01-02T00:00:00+00:00")
    assert (tmp_path / "a" / "units.gpkg").read_bytes() != (tmp_path / "b" / "units.gpkg").read_bytes()
    assert compare(tmp_path / "a", tmp_path / "b") == []

    (tmp_path / "b" / "tables" / "budget_county.csv").write_text("unit_id,ce_tco2\n1,2.6\n")
    (tmp_path / "b" / "run_metadata.json").write_text(json.dumps({"created": "x", "seed": 2}))
    shutil.copy(tmp_path / "a" / "units.gpkg", tmp_path / "b" / "extra.gpkg")
    assert compare(tmp_path / "a", tmp_path / "b") == [
        f"only in {tmp_path / 'b'}: extra.gpkg",
        "differs: run_metadata.json",
        "differs: tables/budget_county.csv",
    ]
