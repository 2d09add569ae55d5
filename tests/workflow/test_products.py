"""The demo as the products are delivered (issue 17): HDF-EOS tiles, NetCDF time axes, ESRI
GRID folders and product presets give the GeoTIFF demo's results; NPP products and gridded
inventories feed the budget; missing source inputs stop the run at load time."""

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from conftest import copy_workflow, snakemake
from helpers import TEST, planned_jobs

from carbonbalance.core.store import open_store

#: the NPP product and the gridded inventory are inputs of the products run from the start
#: (aligned and summed per unit beside the other layers, used by no table until SOURCES)
PRODUCT_INPUTS = """inputs:
  npp:
    path: "resources/demo_products/MOD17A3HGF/MOD17A3HGF.A{year}001.{tile}.061.hdf"
    tiles: [h27v05, h28v05]
    product: MOD17A3HGF
  inventory:
    path: "resources/demo_products/EDGAR/EDGAR_CO2_{year}_flx.nc"
    variable: fluxes
    units: kg CO2 m-2 s-1
"""
LAYOUT = ["config/demo_products.yaml", "config/test.yaml"]
PRODUCTS = [*LAYOUT, "product_inputs.yaml"]
SOURCES = """tables:
  sequestration_source: npp_product
  emission_source: inventory
"""
#: what the two extra inputs add to the products run: their stores, tables, records and columns
EXTRA_FILES = ("npp.zarr", "inventory.zarr", "inventory.parquet")
EXTRA_FILES += ("align_npp_", "align_inventory_", "emission_inventory_")
EXTRA_COLUMNS = ("npp_product_", "inventory_")


#: left out of the products run: the maps and the analysis (spatial statistics, econometrics),
#: which read only the grids and tables compared below (CI time)
OMITTED = ("casa_map", "emissions_map", "budget_map", "budget_figures", "budget_years")
OMITTED += ("spatial", "centre_of_gravity", "hotspots", "econometrics", "mgwr")


@pytest.fixture(scope="module")
def products_run(tmp_path_factory):
    wf = copy_workflow(tmp_path_factory.mktemp("products"))
    (wf / "product_inputs.yaml").write_text(PRODUCT_INPUTS)
    snakemake(wf, "--cores", "2", "--configfile", *PRODUCTS, "--omit-from", *OMITTED)
    return wf


def _same_numbers(a, b, path):
    if path.suffix == ".csv":
        x, y = pd.read_csv(a), pd.read_csv(b)
    elif path.suffix == ".parquet":
        x, y = pd.read_parquet(a), pd.read_parquet(b)
        assert all(c.startswith(EXTRA_COLUMNS) for c in set(y.columns) - set(x.columns)), path
        y = y[list(x.columns)]
    elif path.suffix == ".tif":
        with rasterio.open(a) as s, rasterio.open(b) as t:
            np.testing.assert_allclose(s.read(), t.read(), rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=str(path))
        return
    else:
        raise AssertionError(f"{path} differs")
    pd.testing.assert_frame_equal(x, y, rtol=1e-9, atol=1e-12, obj=str(path))


def test_the_products_layout_gives_the_geotiff_demos_results(products_run, request):
    """Same pixels in other files: every table, grid and store equals the GeoTIFF demo's to
    floating-point precision (only the provenance that names the files differs)."""
    inputs = products_run / "resources/demo_products"
    assert len(list(inputs.glob("MOD13A3/MOD13A3.A2020*.h2?v05.061.hdf"))) == 24  # 12 months x 2 tiles
    assert (inputs / "china1km/tmp_2019.nc").exists() and (inputs / "ERA5-Land/era5land_monthly_2020.nc").exists()
    assert (inputs / "CNLUCC/lucc2019/hdr.adf").exists()
    test_run = request.getfixturevalue("test_run")  # after products_run: that run overlaps the shared one
    a, b = test_run[0] / "results/test", products_run / "results/test"

    def listing(root):  # the regridding weights' cache is named by the source grids, which differ here
        return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and "regrid" not in p.parts)

    extra = [f for f in listing(b) if any(f.name.startswith(e) or e in f.parts for e in EXTRA_FILES)]
    assert {f.parts[0] for f in extra} == {"aligned", "zonal", "meta"}, extra
    # figures and report pages are compared by the GeoTIFF run's own tests; the products run
    # draws only those of the stages it runs (the zonal maps), and nothing the other run lacks
    omitted = ("figures", "analysis", "report")
    drawn = [f for f in listing(b) if f not in extra and f.parts[0] in omitted]
    assert set(drawn) <= set(listing(a)), set(drawn) - set(listing(a))
    files = [f for f in listing(b) if f not in extra and f.parts[0] not in omitted]
    assert set(listing(a)) - set(files) == {
        f
        for f in listing(a)
        if f.parts[0] in omitted
        or f.name == "run_metadata.json"
        or (f.parts[0] == "meta" and f.name.startswith(("analysis_", "econometrics_", "mgwr_")))
    }, "only the maps, the report pages and the analysis are left out of the products run"
    compared = identical = 0
    for rel in files:
        if rel.parts[0] == "meta" or rel.name in ("run_metadata.json", "zarr.json") or rel.suffix in (".gpkg", ".png"):
            continue  # provenance: the source files' names; figures: drawn from the tables compared here
        compared += 1
        if (a / rel).read_bytes() == (b / rel).read_bytes():
            identical += 1
        else:
            _same_numbers(a / rel, b / rel, rel)
    for var in ("ndvi", "temperature", "precipitation", "radiation", "landcover", "landuse"):
        x, y = (
            open_store(a / f"aligned/2020/{var}.zarr")[var].values,
            open_store(b / f"aligned/2020/{var}.zarr")[var].values,
        )
        np.testing.assert_allclose(x, y, rtol=1e-9, equal_nan=True, err_msg=var)
    assert compared > 300 and identical / compared > 0.9
    meta = json.loads((b / "meta/align_ndvi_2020.json").read_text())["align"]["ndvi/2020"]
    assert meta["product"] == "MOD13A3" and meta["decoding_from"]["scale"] == "preset MOD13A3"
    assert meta["sources"][0]["path"].startswith("2 tiles:")


def test_npp_product_and_inventory_feed_the_budget(products_run):
    wf = products_run
    (wf / "sources.yaml").write_text(SOURCES)
    r = wf / "results/test"
    targets = [
        f"results/test/{t}" for t in ("tables/budget_county.csv", "zonal/province.parquet", "zonal/region.parquet")
    ]
    args = [*targets, "--cores", "2", "--configfile", *PRODUCTS, "sources.yaml"]
    assert set(planned_jobs(snakemake(wf, "-n", *args).stdout)) == {"budget"}  # the products were read before
    snakemake(wf, *args)
    zonal = {lvl: pd.read_parquet(r / f"zonal/{lvl}.parquet") for lvl in ("county", "province", "region")}
    budget = pd.read_csv(r / "tables/budget_county.csv", dtype={"unit_id": str}).merge(
        zonal["county"], on=["unit_id", "year"]
    )
    np.testing.assert_allclose(budget["ce_tco2"], budget["inventory_tco2"], rtol=1e-12)
    np.testing.assert_allclose(budget["cs_tco2"], budget["npp_product_tc"] * 44 / 12, rtol=1e-12)
    for year in (2019, 2020):
        rec = json.loads((r / f"meta/emission_inventory_{year}.json").read_text())["emission_inventory"][str(year)]
        counties = zonal["county"].query("year == @year")["inventory_tco2"].sum()
        assert counties == pytest.approx(rec["region_total_tco2"], rel=1e-9)
        assert zonal["region"].query("year == @year")["inventory_tco2"].iloc[0] == pytest.approx(counties, rel=1e-12)
        assert zonal["province"].query("year == @year")["npp_product_tc"].sum() == pytest.approx(
            zonal["county"].query("year == @year")["npp_product_tc"].sum(), rel=1e-12
        )
    npp = json.loads((r / "meta/align_npp_2019.json").read_text())["align"]["npp/2019"]
    assert npp["units"] == "g C m-2 yr-1" and 200 < npp["distribution_check"]["value"] < 800


@pytest.mark.parametrize(
    "override, message",
    [
        ("tables:\n  sequestration_source: npp_product\n", "tables.sequestration_source: npp_product reads inputs.npp"),
        ("tables:\n  emission_source: inventory\n", "tables.emission_source: inventory reads inputs.inventory"),
        ("inputs:\n  ndvi:\n    product: MOD99\n", "unknown product 'MOD99'"),
    ],
)
def test_missing_source_inputs_and_unknown_products_stop_at_load_time(tmp_path, override, message):
    wf = copy_workflow(tmp_path)
    (wf / "override.yaml").write_text(override)
    out = snakemake(wf, "-n", "--configfile", *TEST, "override.yaml", check=False)
    assert out.returncode != 0 and message in out.stdout + out.stderr


def test_land_use_classes_come_from_the_preset_or_are_named(tmp_path):
    wf = copy_workflow(tmp_path)
    text = (wf / "config/demo_products.yaml").read_text()
    start = text.index("# The demo's nine land-use codes")
    (wf / "config/demo_products.yaml").write_text(text[:start] + text[text.index("statistics:\n", start) :])
    ok = snakemake(wf, "-n", "--configfile", *LAYOUT)  # CNLUCC's preset maps every code
    assert "landuse_absorption" in ok.stdout
    (wf / "plain.yaml").write_text("inputs:\n  landuse:\n    product: CLCD\n")
    snakemake(wf, "-n", "--configfile", *LAYOUT, "plain.yaml")
    demo = (wf / "config/demo.yaml").read_text()
    start = demo.index("# Land-use code (CNLUCC-like)")
    (wf / "config/demo.yaml").write_text(demo[:start] + demo[demo.index("statistics:\n", start) :])
    out = snakemake(wf, "-n", "--configfile", *TEST, check=False)
    assert out.returncode != 0 and "landuse_classes: required" in out.stdout + out.stderr
