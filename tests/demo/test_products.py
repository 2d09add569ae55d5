"""The demo's writers of delivered layouts, read back by GDAL and the readers."""

import numpy as np
import rasterio
from pyproj import CRS
from rasterio.transform import from_origin

from carbonbalance.demo.manifest import record, sha256
from carbonbalance.demo.products import write_esri_grid


def test_esri_grids_read_by_gdal_with_their_values_grid_and_crs(tmp_path):
    rng = np.random.default_rng(0)
    codes = rng.integers(11, 68, (9, 600)).astype("int32")  # more than one tile per row, a partial last tile
    codes[4, 4] = -1
    tr = from_origin(113.0, 31.0, 0.01, 0.01)
    write_esri_grid(tmp_path / "lucc", codes, tr, "EPSG:4326", nodata=-1)
    with rasterio.open(tmp_path / "lucc") as src:
        a = src.read(1, masked=True)
        assert src.driver == "AIG" and src.transform == tr and CRS.from_user_input(src.crs).is_geographic
        assert a.mask[4, 4] and np.array_equal(a.data[~a.mask], codes[codes != -1])
    krasovsky = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=krass +units=m +no_defs"
    light = rng.gamma(1.0, 3.0, (13, 40)).astype("float32")
    light[0, 0] = np.nan
    write_esri_grid(tmp_path / "ntl", light, from_origin(-500000, 3500000, 1000, 1000), krasovsky)
    with rasterio.open(tmp_path / "ntl") as src:
        b = src.read(1, masked=True)
        assert b.mask[0, 0] and np.array_equal(b.data[~b.mask], light[np.isfinite(light)])
        assert CRS.from_user_input(src.crs).ellipsoid.name.startswith("Krassowsky") or "Krass" in src.crs.to_wkt()


def test_the_manifest_hashes_a_grid_folder_by_its_files(tmp_path):
    write_esri_grid(tmp_path / "g", np.ones((4, 4), "int32"), from_origin(0, 4, 1, 1), "EPSG:4326")
    before = sha256(tmp_path / "g")
    record(tmp_path, [tmp_path / "g"])
    (tmp_path / "g" / "sta.adf").write_bytes(b"changed")
    assert sha256(tmp_path / "g") != before
