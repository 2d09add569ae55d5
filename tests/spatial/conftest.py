"""Fixtures of the spatial tests."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box


@pytest.fixture
def lattice():
    """A 6 x 5 lattice of 10 km squares plus an island 25 km east of the last column."""
    cells = [box(c * 1e4, r * 1e4, (c + 1) * 1e4, (r + 1) * 1e4) for r in range(5) for c in range(6)]
    cells.append(box(8.5e4, 2e4, 9e4, 2.5e4))
    gdf = gpd.GeoDataFrame({"unit": range(31)}, geometry=cells, crs="EPSG:3857")
    rng = np.random.default_rng(4)
    y = rng.gamma(2.0, 3.0, 31) + np.r_[np.linspace(0, 8, 30), 0]  # a trend: positive autocorrelation
    return gdf, y
