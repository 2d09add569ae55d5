"""HDF-EOS grids: the geolocation of MODIS tiles from StructMetadata.0."""

import numpy as np
import pytest
from rasterio.transform import Affine

from carbonbalance.demo.products import _packed_dms, write_hdf_eos
from carbonbalance.errors import InputError
from carbonbalance.ingest.hdf4 import Hdf4Reader, eos_grid

# the real corners of MODIS tile h28v05 (1200 x 1200 pixels of 926.625433 m)
H28V05 = """GROUP=GridStructure
	GROUP=GRID_1
		GridName="MOD_Grid_monthly_1km_VI"
		XDim=1200
		YDim=1200
		UpperLeftPointMtrs=(11119505.196667,4447802.078667)
		LowerRightMtrs=(12231455.716333,3335851.559000)
		Projection=GCTP_SNSOID
		ProjParams=(6371007.181000,0,0,0,0,0,0,0,0,0,0,0,0)
		GROUP=DataField
			OBJECT=DataField_1
				DataFieldName="1 km monthly NDVI"
			END_OBJECT=DataField_1
		END_GROUP=DataField
	END_GROUP=GRID_1
END_GROUP=GridStructure
"""


def test_modis_tile_geolocation_from_struct_metadata():
    crs, tr = eos_grid(H28V05, "1 km monthly NDVI", (1200, 1200), "h28v05")
    assert crs == "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
    assert tr.a == pytest.approx(926.625433055833, rel=1e-12) and tr.c == 11119505.196667 and tr.f == 4447802.078667
    with pytest.raises(InputError, match=r"no HDF-EOS grid in StructMetadata\.0 describes 'EVI'"):
        eos_grid(H28V05, "EVI", (10, 10), "h28v05")


def test_packed_dms_corners_of_geographic_grids_round_trip(tmp_path):
    assert _packed_dms(113.05) == 113003000.0 and _packed_dms(-29.99) == pytest.approx(-29059024.0)
    tr = Affine(0.01, 0, 112.95, 0, -0.01, 31.35)
    write_hdf_eos(
        tmp_path / "g.hdf", {"LC_Type1": (np.ones((5, 7), "uint8"), {"_FillValue": 255})}, tr, projection="GCTP_GEO"
    )
    r = Hdf4Reader(str(tmp_path / "g.hdf"), "LC_Type1", "g")
    assert r.crs == "EPSG:4326" and all(abs(a - b) < 1e-12 for a, b in zip(r.transform, tr))
    assert r.attributes() == {"fill": 255.0}
