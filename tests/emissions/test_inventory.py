"""Gridded inventories regridded to the units: units of masses and fluxes, exact coverage,
the region's total kept to 1e-9, and what stops the run."""

import geopandas as gpd
import numpy as np
import pytest
from rasterio.transform import from_origin
from shapely.geometry import box

from carbonbalance.core.grid import raster_cell_area_m2
from carbonbalance.demo.products import write_netcdf
from carbonbalance.emissions.inventory import inventory_year, regrid_to_units
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.sources import resolve_sources
from carbonbalance.ingest.units import inventory_to_tco2, inventory_units


def test_masses_and_fluxes_in_t_co2_per_cell_and_year():
    assert inventory_to_tco2(np.array([2.0]), "Gg C", None, 2019)[0] == pytest.approx(2000 * 44 / 12)
    assert inventory_to_tco2(np.array([5.0]), "kt CO2 per cell", None, 2019)[0] == pytest.approx(5000)
    # EDGAR flux: 1e-9 kg CO2 m-2 s-1 on 1 km2 over 2019 (365 days) = 31.536 t; 2020 has 366 days
    assert inventory_to_tco2(np.array([1e-9]), "kg CO2 m-2 s-1", np.array([1e6]), 2019)[0] == pytest.approx(31.536)
    assert inventory_to_tco2(np.array([1e-9]), "kg CO2 m-2 s-1", np.array([1e6]), 2020)[0] == pytest.approx(31.6224)
    assert inventory_to_tco2(np.array([3.0]), "t CO2 km-2 yr-1", np.array([2e6]), 2019)[0] == pytest.approx(6.0)
    assert inventory_to_tco2(np.array([1.0]), "g C m-2 day-1", np.array([1e6]), 2019)[0] == pytest.approx(365 * 44 / 12)
    assert inventory_units("Mg C")["mass_t"] == 1.0
    with pytest.raises(ConfigError, match=r"inputs\.inventory\.units: 'tons of CO2' is not '<mass> <CO2\|C>'"):
        inventory_units("tons of CO2")


def test_spherical_cell_areas_of_a_lonlat_inventory():
    area = raster_cell_area_m2(from_origin(110, 1, 1, 1), (2, 1), "EPSG:4326")
    r = 6_371_007.0
    assert area[0, 0] == pytest.approx(r**2 * np.radians(1) * np.sin(np.radians(1)), rel=1e-12)
    assert area[1, 0] == pytest.approx(area[0, 0], rel=1e-12)  # symmetric about the equator


def test_a_cell_is_split_by_the_exact_share_each_unit_covers():
    # one 0.1 deg cell of 100 t; unit A covers its west 30 %, unit B the rest and beyond
    tco2 = np.array([[100.0]])
    tr = from_origin(114.0, 30.1, 0.1, 0.1)
    gdf = gpd.GeoDataFrame(
        {"id": ["A", "B"]}, geometry=[box(114.0, 30.0, 114.03, 30.1), box(114.03, 30.0, 114.2, 30.1)], crs="EPSG:4326"
    )
    per_unit, rec = regrid_to_units(tco2, tr, "EPSG:4326", gdf, "id")
    np.testing.assert_allclose(per_unit, [30.0, 70.0], rtol=1e-6)  # exactextract fractions are float32
    assert rec["region_total_tco2"] == pytest.approx(100.0) and rec["relative_difference"] < 1e-12


def test_region_total_is_kept_to_1e9_for_reprojected_irregular_units(irregular):
    """Counties given in Albers meet the inventory's lon/lat cells on bent edges: the units'
    sum is still the region's total (slivers between reprojected units are shared out)."""
    grid, gdf, _ = irregular
    albers = gdf.to_crs(grid.crs)
    rng = np.random.default_rng(9)
    tco2 = rng.gamma(2.0, 500.0, (9, 12))
    tr = from_origin(113.65, 30.65, 0.1, 0.1)
    per_unit, rec = regrid_to_units(tco2, tr, "EPSG:4326", albers, "county_id")
    assert rec["relative_difference"] < 1e-9
    assert per_unit.sum() == pytest.approx(rec["region_total_tco2"], rel=1e-9)
    assert (per_unit > 0).all()  # the 400 m district too


def test_inventory_year_from_an_edgar_like_netcdf(tmp_path, small_grid, irregular):
    _, gdf, _ = irregular
    tr = from_origin(113.65, 30.65, 0.1, 0.1)
    flux = np.full((1, 9, 12), 2e-9)
    write_netcdf(
        tmp_path / "edgar_2020.nc", {"fluxes": (flux, {"units": "kg m-2 s-1"}, "f8")}, tr, (9, 12), [(2020, 7)]
    )
    spec = RasterInput.from_config(
        "inventory", {"path": str(tmp_path / "edgar_{year}.nc"), "variable": "fluxes", "units": "kg CO2 m-2 s-1"}
    )
    (source,) = resolve_sources(spec, 2020, small_grid)
    table, rec = inventory_year(spec, source, 2020, gdf, "county_id")
    area = gdf.to_crs(small_grid.crs).area.to_numpy()  # m2 in the equal-area grid CRS
    # a uniform flux: each unit gets flux x its area x the seconds of 2020 (to the cell-area approximation)
    np.testing.assert_allclose(table["inventory_tco2"], 2e-12 * area * 366 * 86400, rtol=2e-3)
    assert rec["relative_difference"] < 1e-9 and list(table.columns) == ["unit_id", "year", "inventory_tco2"]
    flux[0, 3, 3] = -1e-9
    write_netcdf(
        tmp_path / "edgar_2020.nc", {"fluxes": (flux, {"units": "kg m-2 s-1"}, "f8")}, tr, (9, 12), [(2020, 7)]
    )
    with pytest.raises(InputError, match=r"inventory: .*edgar_2020\.nc \(fluxes\) \(2020\): negative emissions"):
        inventory_year(spec, source, 2020, gdf, "county_id")
