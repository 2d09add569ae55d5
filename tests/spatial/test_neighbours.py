"""Spatial weights: queen, rook, islands linked to the nearest unit."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from carbonbalance.spatial.neighbours import weights


@pytest.fixture
def lattice():
    """A 6 x 5 lattice of 10 km squares plus an island 25 km east of the last column."""
    cells = [box(c * 1e4, r * 1e4, (c + 1) * 1e4, (r + 1) * 1e4) for r in range(5) for c in range(6)]
    cells.append(box(8.5e4, 2e4, 9e4, 2.5e4))
    gdf = gpd.GeoDataFrame({"unit": range(31)}, geometry=cells, crs="EPSG:3857")
    rng = np.random.default_rng(4)
    y = rng.gamma(2.0, 3.0, 31) + np.r_[np.linspace(0, 8, 30), 0]  # a trend: positive autocorrelation
    return gdf, y


def test_weights_queen_rook_islands(lattice):
    gdf, _ = lattice
    w = weights(gdf)
    assert w.transform == "R" and not w.islands
    # the island is 25 km from the east column's rows 1 and 2 (a tie): linked to one of them, both ways
    assert len(w.neighbors[30]) == 1 and w.neighbors[30][0] in (11, 17) and 30 in w.neighbors[w.neighbors[30][0]]
    assert weights(gdf, islands="keep").islands == [30]
    assert len(weights(gdf, kind="rook").neighbors[7]) == 4 and len(w.neighbors[7]) == 8
    np.testing.assert_allclose([sum(v) for v in w.weights.values()], 1.0)
    inv = weights(gdf, kind="inverse_distance", power=2, transform=None)
    d01 = 1e4
    assert inv.weights[0][inv.neighbors[0].index(1)] == pytest.approx(d01**-2)
    assert len(weights(gdf, kind="knn", k=3).neighbors[0]) == 3
