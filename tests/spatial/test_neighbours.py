"""Spatial weights: queen, rook, islands linked to the nearest unit."""

import numpy as np
import pytest

from carbonbalance.spatial.neighbours import weights


def test_weights_queen_rook_islands(lattice):
    gdf, _ = lattice
    w = weights(gdf)
    assert w.transform == "R" and not w.islands
    # the island is 25 km from the east column's rows 1 and 2 (a tie): linked to one of them, both ways
    assert len(w.neighbors[30]) == 1 and w.neighbors[30][0] in (11, 17) and 30 in w.neighbors[w.neighbors[30][0]]
    assert weights(gdf, islands="keep").islands == [30]
    # the link is the unit nearest by boundary distance, the lowest position among ties
    dist = gdf.geometry.reset_index(drop=True).distance(gdf.geometry.iloc[30]).drop(30)
    assert w.neighbors[30] == [int(dist.idxmin())]
    assert len(weights(gdf, kind="rook").neighbors[7]) == 4 and len(w.neighbors[7]) == 8
    np.testing.assert_allclose([sum(v) for v in w.weights.values()], 1.0)
    inv = weights(gdf, kind="inverse_distance", power=2, transform=None)
    d01 = 1e4
    assert inv.weights[0][inv.neighbors[0].index(1)] == pytest.approx(d01**-2)
    assert len(weights(gdf, kind="knn", k=3).neighbors[0]) == 3


@pytest.mark.parametrize("kind", ["queen", "inverse_distance"])
def test_weights_labelled_by_ids_equal_libpysals_remap(lattice, kind):
    gdf, _ = lattice
    ids = [f"u{i:03d}" for i in range(len(gdf))][::-1]
    expected = weights(gdf, kind=kind, power=2)
    expected.remap_ids(ids)
    w = weights(gdf, kind=kind, power=2, ids=ids)
    assert w.id_order == expected.id_order and w.transform == expected.transform
    assert w.neighbors == expected.neighbors and w.weights == expected.weights
    assert (w.sparse != expected.sparse).nnz == 0


def _shapes():
    """Units that exercise the vertex rules: a hole filled by a unit, a multipolygon, units
    touching at one vertex only (queen, not rook), and an island."""
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, Polygon, box

    donut = Polygon([(0, 0), (6, 0), (6, 6), (0, 6)], [[(2, 2), (4, 2), (4, 4), (2, 4)]])
    core = box(2, 2, 4, 4)
    east = MultiPolygon([box(6, 0, 8, 3), box(9, 9, 10, 10)])
    corner = box(8, 3, 9, 4)  # touches east's part at the vertex (8, 3) only
    above = box(0, 6, 3, 8)  # lies along the donut's top edge but shares only the vertex (0, 6)
    island = box(20, 20, 21, 21)
    return gpd.GeoDataFrame(geometry=[donut, core, east, corner, above, island], crs="EPSG:3857")


@pytest.mark.parametrize("rook", [False, True])
def test_contiguity_equals_libpysals_vertex_contiguity(lattice, irregular, rook):
    from libpysal import weights as lw

    from carbonbalance.spatial.neighbours import contiguity

    cls = lw.Rook if rook else lw.Queen
    for gdf in (lattice[0], irregular[1], _shapes()):
        expected = cls.from_dataframe(gdf, use_index=False, silence_warnings=True)
        got = contiguity(gdf.geometry.values, rook=rook)
        assert got == {i: sorted(expected.neighbors[i]) for i in range(len(gdf))}
    got = contiguity(_shapes().geometry.values, rook=rook)
    assert got[1] == [0] and got[5] == []  # the hole's filling touches the donut; the island nothing
    assert (3 in got[2]) is (not rook) and (4 in got[0]) is (not rook)  # one shared vertex: queen only


def test_inverse_distance_matrix_equals_the_row_standardised_distance_band(lattice):
    from carbonbalance.spatial.neighbours import inverse_distance_matrix

    gdf, _ = lattice
    ids = [f"u{i}" for i in range(len(gdf))]
    w = weights(gdf, kind="inverse_distance", power=2, ids=ids)
    m = inverse_distance_matrix(gdf, 2, ids=ids)
    assert list(m.index) == ids and list(m.columns) == ids
    np.testing.assert_allclose(m.to_numpy(), w.full()[0], rtol=1e-12, atol=0)
