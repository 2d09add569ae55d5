"""Product presets: data files that fill in a product's decoding; the config always wins."""

import pytest

from carbonbalance.errors import ConfigError
from carbonbalance.ingest import presets
from carbonbalance.ingest.params import RasterInput

SHIPPED = ["CLCD", "CNLUCC", "China_1km_monthly_climate", "ERA5_Land_monthly", "LandScan", "MCD12Q1", "MOD13A3",
           "MOD17A3HGF", "TerraClimate", "VNL_v2", "WorldPop"]  # fmt: skip


def test_every_shipped_preset_loads_and_describes_its_inputs():
    assert presets.available() == SHIPPED
    for name in SHIPPED:
        p = presets.load(name)
        assert p["description"] and p["example"] and p["inputs"]
        for var in p["inputs"]:
            spec = RasterInput.from_config(var, {"path": "x_{year}.tif", "product": name})
            assert spec.origin and all(o == f"preset {name}" for o in spec.origin.values())


def test_the_config_wins_over_the_preset_and_origins_are_recorded():
    spec = RasterInput.from_config("ndvi", {"path": "n_{year}_{month}.hdf", "product": "MOD13A3", "scale": 0.001})
    assert spec.scale == 0.001 and spec.origin["scale"] == "config"
    assert spec.fill == (-3000.0,) and spec.origin["fill"] == "preset MOD13A3"
    assert spec.file_variable == "1 km monthly NDVI" and spec.expected_attributes["scale_factor"] == 10000.0


def test_unknown_products_and_broken_preset_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown product 'MOD99'; presets: \['CLCD'"):
        RasterInput.from_config("ndvi", {"path": "x", "product": "MOD99"})
    with pytest.raises(
        ConfigError, match=r"inputs\.ndvi\.product: preset CNLUCC has no entry for ndvi \(it describes \['landuse'\]\)"
    ):
        RasterInput.from_config("ndvi", {"path": "x", "product": "CNLUCC"})
    bad = tmp_path / "mine.yaml"
    bad.write_text("name: MINE\ninputs:\n  ndvi: {scal: 0.1}\n")
    with pytest.raises(ConfigError, match=r"mine\.yaml: inputs\.ndvi has unknown key\(s\) \['scal'\]"):
        RasterInput.from_config("ndvi", {"path": "x", "product": str(bad)})


def test_a_users_own_preset_file(tmp_path):
    mine = tmp_path / "GIMMS.yaml"
    mine.write_text(
        "name: GIMMS\ndescription: my NDVI\n"
        "inputs:\n  ndvi: {variable: ndvi, units: '1', scale: 0.0001, fill: [-5000]}\n"
    )
    spec = RasterInput.from_config("ndvi", {"path": "g_{year}.nc", "product": str(mine)})
    assert (spec.scale, spec.fill, spec.file_variable, spec.origin["scale"]) == (
        0.0001,
        (-5000.0,),
        "ndvi",
        "preset GIMMS",
    )


def test_class_mappings_offered_by_land_presets():
    offered = presets.class_mappings(
        {"landuse": {"path": "x", "product": "CNLUCC"}, "landcover": {"path": "y", "product": "MCD12Q1"}}
    )
    assert offered["landuse_classes"]["53"] == "industrial" and offered["landuse_classes"]["52"] == "rural"
    assert offered["absorption_classes"]["21"] == "forest" and offered["absorption_classes"]["51"] is None
    assert offered["landcover_classes"]["12"] == "crop" and offered["landcover_classes"]["17"] is None


def test_the_readme_lists_every_shipped_preset_with_its_example():
    from helpers import ROOT

    readme = (ROOT / "README.md").read_text()
    for name in SHIPPED:
        p = presets.load(name)
        assert f"| `{name}` | {', '.join(p['inputs'])} |" in readme, name
        assert p["example"] in readme, name
