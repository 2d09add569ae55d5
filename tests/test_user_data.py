"""Issue 15: a user's own files are safe, wrong units and partial inputs stop the run, and
every error names the file, unit or key at fault."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from shapely.geometry import box

from carbonbalance import demo
from carbonbalance.demo import manifest
from carbonbalance.ingest.boundaries import check_overlaps, Level, read_boundaries, unit_table
from carbonbalance.errors import InputError
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.stage import align_variable
from carbonbalance.ingest.statistics import read_statistics
from carbonbalance.core.store import atomic_output
from conftest import ROOT, write_tif

LEVELS = [Level("county", "county_id", "county_name"), Level("city", "city_id"), Level("province", "province_id")]


# ------------------------------------------------------------------ the demo generator

def _demo_inputs(root):
    inputs = yaml.safe_load((ROOT / "config/demo.yaml").read_text())["inputs"]
    return {k: {**v, "path": str(root / v["path"].replace("resources/demo/", ""))} for k, v in inputs.items()}


def test_demo_generator_writes_only_below_its_root_and_never_over_foreign_files(tmp_path):
    root = tmp_path / "demo"
    inputs = _demo_inputs(root)
    # an output outside the root: refused before anything is written
    with pytest.raises(InputError, match=r"writes only below demo.root .*outside it: \[.*elsewhere/s\.csv"):
        demo.generate(inputs, root / "b.gpkg", tmp_path / "elsewhere" / "s.csv", [2020], root=root)
    assert not root.exists()
    # a file the generator did not create, at one of its output paths: never overwritten
    foreign = root / "ndvi" / "ndvi_2020_03.tif"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"the user's own file")
    with pytest.raises(InputError, match=r"refusing to overwrite 1 file\(s\) the demo generator did not create: "
                                         r"\[.*ndvi_2020_03\.tif'\] \(they are not listed in .*\.carbonbalance-demo"):
        demo.generate(inputs, root / "b.gpkg", root / "s.csv", [2020], root=root)
    assert foreign.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == ["ndvi_2020_03.tif"]
    # once generated, every file is listed with its checksum and may be generated again
    foreign.unlink()
    demo.generate(inputs, root / "b.gpkg", root / "s.csv", [2020], root=root)
    listed = json.loads((root / manifest.MANIFEST).read_text())["files"]
    assert len(listed) == 2 + 12 * 4 + 4 and listed["s.csv"] == manifest.sha256(root / "s.csv")
    assert manifest.refusal(root, [root / "s.csv", foreign]) is None
    demo.generate(inputs, root / "b.gpkg", root / "s.csv", [2020], root=root)


# ------------------------------------------------------------------ rasters: units and coverage

def _year(tmp_path, var, make, **kw):
    for m in range(1, 13):
        write_tif(tmp_path / f"{var}_{m:02d}.tif", make(m), **kw)
    return str(tmp_path / (var + "_{month:02d}.tif"))


def test_ndvi_already_in_0_1_but_declared_scaled_stops_the_run(tmp_path, small_grid):
    pattern = _year(tmp_path, "ndvi", lambda m: np.full((60, 90), 0.6 + 0.01 * m, dtype="float32"))
    spec = RasterInput.from_config("ndvi", {"path": pattern, "units": "1", "scale": 0.0001,
                                            "resampling": "bilinear"})
    with pytest.raises(InputError, match=r"ndvi 2020 \(.*ndvi_\*\.tif\): the 95th percentile of NDVI over the region's "
                                         r"cell-months is 0\.00025, outside the plausible range \[0\.2, 1\.0\] after "
                                         r"scale 0\.0001 .*inputs\.ndvi\.scale.*inputs\.ndvi\.plausible_range"):
        align_variable(spec, 2020, small_grid, tmp_path / "n.zarr")
    assert not (tmp_path / "n.zarr").exists()
    ok = RasterInput.from_config("ndvi", {"path": pattern, "units": "1", "resampling": "bilinear"})
    rec = align_variable(ok, 2020, small_grid, tmp_path / "n.zarr")
    assert rec["distribution_check"]["value"] == pytest.approx(0.72, abs=0.001)


def test_radiation_in_w_m2_declared_as_mj_m2_stops_the_run(tmp_path, small_grid):
    pattern = _year(tmp_path, "srad", lambda m: np.full((60, 90), 120 + 60 * np.sin(np.pi * m / 12), dtype="float32"))
    wrong = RasterInput.from_config("radiation", {"path": pattern, "units": "MJ m-2", "resampling": "bilinear"})
    with pytest.raises(InputError, match=r"radiation 2020 .*median annual solar radiation .* is 1898, "
                                         r"outside the plausible range \[2500\.0, 9000\.0\] .*from 'MJ m-2'.*"
                                         r"inputs\.radiation\.units"):
        align_variable(wrong, 2020, small_grid, tmp_path / "r.zarr")
    right = RasterInput.from_config("radiation", {"path": pattern, "units": "W m-2", "resampling": "bilinear"})
    rec = align_variable(right, 2020, small_grid, tmp_path / "r.zarr")
    assert 4000 < rec["distribution_check"]["value"] < 6000  # about 160 W m-2 all year


def test_temperature_covering_half_the_region_stops_the_run(tmp_path, small_grid):
    from carbonbalance.core.grid import CHINA_ALBERS
    from rasterio.warp import transform_bounds

    w, s, e, n = transform_bounds(CHINA_ALBERS, "EPSG:4326", *small_grid.bounds)
    half = (e - w) / 2
    pattern = _year(tmp_path, "tmean", lambda m: np.full((120, 60), 150, dtype="int16"), west=w - 0.01,
                    north=n + 0.01, res=(half + 0.01) / 60)
    spec = RasterInput.from_config("temperature", {"path": pattern, "units": "degC", "scale": 0.1,
                                                   "resampling": "bilinear"})
    region = np.ones(small_grid.shape, dtype=bool)
    with pytest.raises(InputError, match=r"temperature: .*tmean_01\.tif \(year 2020, month 01\): \d+ of the region's "
                                         r"2000 cells \(\d\d\.\d %\) have no data after alignment; the limit is "
                                         r"inputs\.temperature\.max_nodata_share = 0\.1"):
        align_variable(spec, 2020, small_grid, tmp_path / "t.zarr", region=region)
    # the region is what counts: cells outside the units may lack data
    region[:, small_grid.width // 5:] = False
    align_variable(spec, 2020, small_grid, tmp_path / "t.zarr", region=region)


def test_a_whole_ndvi_month_without_data_stops_the_alignment(tmp_path, small_grid):
    def month(m):
        a = np.full((60, 90), 6000, dtype="int16")
        return np.full_like(a, -3000) if m == 5 else a

    pattern = _year(tmp_path, "ndvi", month)
    spec = RasterInput.from_config("ndvi", {"path": pattern, "units": "1", "scale": 0.0001, "fill": [-3000],
                                            "resampling": "bilinear"})
    with pytest.raises(InputError, match=r"ndvi_05\.tif \(year 2020, month 05\): 2000 of the region's 2000 cells "
                                         r"\(100\.0 %\) have no data"):
        align_variable(spec, 2020, small_grid, tmp_path / "n.zarr")


def test_a_corrupt_tile_names_the_file(tmp_path, small_grid):
    data = (np.arange(256 * 256, dtype="float32").reshape(256, 256) % 97) + 1
    path = tmp_path / "ntl.tif"
    with rasterio.open(path, "w", driver="GTiff", height=256, width=256, count=1, dtype="float32",
                       crs="EPSG:4326", transform=rasterio.transform.from_origin(113.6, 30.7, 0.004, 0.004),
                       tiled=True, blockxsize=64, blockysize=64, compress="deflate") as dst:
        dst.write(data, 1)
    with rasterio.open(path) as src:  # where the tiles' compressed bytes are
        offsets = [int(src.get_tag_item(f"BLOCK_OFFSET_{c}_{r}", "TIFF", bidx=1)) for r in range(4) for c in range(4)]
    raw = bytearray(path.read_bytes())
    for off in offsets:
        raw[off:off + 40] = b"\xff" * 40
    path.write_bytes(bytes(raw))
    spec = RasterInput.from_config("nightlight", {"path": str(path), "units": "nW cm-2 sr-1",
                                                  "resampling": "average"})
    with pytest.raises(InputError, match=r"nightlight: .*ntl\.tif: reading rows \d+-\d+ and columns \d+-\d+ of .*"
                                         r"ntl\.tif failed .*damaged"):
        align_variable(spec, 2020, small_grid, tmp_path / "ntl.zarr")


# ------------------------------------------------------------------ statistics

@pytest.fixture
def boundaries(tmp_path):
    rows = [dict(county_id=f"91010{i}", county_name=f"C{i}", city_id="910100" if i < 3 else "910200",
                 province_id="910000", geometry=box(i, 0, i + 1, 1)) for i in range(1, 5)]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    return path


def _stats(tmp_path, rows, **cfg):
    csv = tmp_path / "s.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    base = {"path": str(csv), "columns": {"co2_tco2": {"column": "co2", "units": "Mt CO2"},
                                          "gdp_1e4yuan": {"column": "gdp", "units": "10^8 yuan"},
                                          "population_persons": {"column": "pop", "units": "10^4 persons"}}}
    return base | cfg


def test_co2_in_t_declared_as_mt_stops_the_run_naming_the_unit(tmp_path, boundaries):
    units = unit_table(read_boundaries(boundaries, LEVELS), LEVELS)
    rows = {"unit_id": ["910000", "910101"], "year": [2020, 2020], "co2": [40e6, 3e6], "gdp": [5000.0, 400.0],
            "pop": [500.0, 40.0]}  # CO2 in t, declared as Mt
    with pytest.raises(InputError, match=r"co2_tco2/population_persons \(co2_t_per_person\) of 2 unit-year\(s\) lies "
                                         r"outside the plausible range \[0\.05, 500\]: \(unit, level, year, value\) "
                                         r"\[\('910000', 'province', 2020, 8000000\.0\).*statistics\.columns\.co2_tco2\."
                                         r"units.*statistics\.plausibility\.co2_t_per_person"):
        read_statistics(_stats(tmp_path, rows), units)
    rows["co2"] = [40.0, 3.0]
    t = read_statistics(_stats(tmp_path, rows), units)
    assert t["co2_tco2"].tolist() == [40e6, 3e6]


def test_cells_read_as_missing_are_named_with_what_they_leave_undefined(tmp_path, boundaries, caplog):
    units = unit_table(read_boundaries(boundaries, LEVELS), LEVELS)
    rows = {"unit_id": ["910000", "910101", "910102"], "year": [2020] * 3, "co2": [40.0, 3.0, 2.0],
            "gdp": ["5000", "n/a", "300"], "pop": [500.0, 40.0, 30.0]}
    t = read_statistics(_stats(tmp_path, rows), units)
    assert np.isnan(t.loc[1, "gdp_1e4yuan"])
    assert t.attrs["missing_cells"] == [{"column": "gdp", "variable": "gdp_1e4yuan", "csv_row": 3,
                                         "unit_id": "910101", "year": 2020, "read": "n/a"}]
    assert "1 cell(s) of gdp_1e4yuan read as missing: row 3 (910101 2020: 'n/a'); this leaves ECC" in caplog.text
    rows["gdp"] = ["5000", "unknown", "300"]
    with pytest.raises(InputError, match=r"column 'gdp' \(gdp_1e4yuan\) has non-numeric value\(s\) \['unknown'\] at "
                                         r"CSV row\(s\) \[3\].*statistics\.missing_values"):
        read_statistics(_stats(tmp_path, rows), units)


def test_an_id_used_at_two_levels_is_caught_with_the_boundaries(tmp_path):
    """Dongguan: a city with a single county, 441900 as both city and county id."""
    rows = [dict(county_id="441900", county_name="Dongguan", city_id="441900", province_id="440000",
                 geometry=box(0, 0, 1, 1)),
            dict(county_id="440103", county_name="Liwan", city_id="440100", province_id="440000",
                 geometry=box(1, 0, 2, 1))]
    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match=r"id\(s\) \['441900'\] are used both as county and as city ids .*distinct "
                                         r"ids.*statistics\.level_column"):
        read_boundaries(path, LEVELS)
    gdf = read_boundaries(path, LEVELS, shared_ids_ok=True)
    units = unit_table(gdf, LEVELS)
    csv_rows = {"unit_id": ["441900", "441900", "440000"], "level": ["county", "city", "province"],
                "year": [2020] * 3, "co2": [30.0, 30.0, 600.0], "gdp": [9000.0, 9000.0, 110000.0],
                "pop": [1000.0, 1000.0, 12000.0]}
    t = read_statistics(_stats(tmp_path, csv_rows, level_column="level"), units)
    assert t["level"].tolist() == ["county", "city", "province"]
    with pytest.raises(InputError, match=r"unit id '441900' is used at several boundaries levels .*"
                                         r"statistics\.level_column"):
        read_statistics(_stats(tmp_path, csv_rows), units)


# ------------------------------------------------------------------ boundaries

def test_empty_boundaries_layer_is_named(tmp_path):
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"county_id": [], "city_id": [], "province_id": []}, geometry=[], crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match=r"boundaries: .*empty\.gpkg \(layer the first\) has no features; point "
                                         r"boundaries\.path / boundaries\.layer"):
        read_boundaries(path, LEVELS[1:])


def test_overlapping_units_are_named_with_the_overlap_area():
    a, b, c = box(0, 0, 10_000, 10_000), box(9_000, 0, 19_000, 10_000), box(19_000, 0, 29_000, 10_000)
    gdf = gpd.GeoDataFrame({"county_id": ["A", "B", "C"]}, geometry=[a, b, c], crs="EPSG:3857")
    with pytest.raises(InputError, match=r"1 pair\(s\) of units overlap beyond boundaries\.max_overlap_share = "
                                         r"0\.001 .*A and B: 10 km² \(10\.00 % of the smaller\)"):
        check_overlaps(gdf, "county_id", 0.001)
    assert check_overlaps(gdf, "county_id", 0.2)["overlapping_pairs_within_tolerance"] == 1


# ------------------------------------------------------------------ crashes and leftovers

@pytest.mark.parametrize("values", [[1.0, 1.0, 2.0, np.nan], [3.0, 3.0, 3.0, 3.0]])
def test_budget_map_with_two_or_fewer_distinct_values(tmp_path, values):
    from carbonbalance.plots.maps import choropleth_panels

    units = gpd.GeoDataFrame({"cbi": values, "zone": ["a", "b", "a", "b"], "p": ["x"] * 4},
                             geometry=[box(i, 0, i + 1, 1) for i in range(4)], crs="EPSG:3857")
    choropleth_panels(units, [{"column": "zone", "title": "zones", "categorical": True},
                              {"column": "cbi", "title": "CBI"}], outline_column="p", out_png=tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 5000


def test_stale_temporaries_of_a_killed_job_are_removed(tmp_path):
    out = tmp_path / "2019" / "ndvi.zarr"
    out.parent.mkdir()
    stale = out.parent / ".ndvi.zarr.k3j_x9.tmp"
    (stale / "ndvi.zarr").mkdir(parents=True)
    other = out.parent / ".temperature.zarr.ab12.tmp"
    other.mkdir()
    with atomic_output(out, directory=True) as tmp:
        tmp.mkdir()
    assert out.is_dir() and not stale.exists() and other.exists()  # only this output's leftovers
