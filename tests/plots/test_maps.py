"""Maps: outlines without zero-area seams, choropleths with few distinct values."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box


def test_map_outlines_drop_zero_area_seams():
    from shapely.geometry import Polygon

    from carbonbalance.plots.maps import _without_slivers

    seam = [(2, 0), (2, 5), (2, 10), (2, 5)]  # a zero-area ring, as left by a dissolve
    real_hole = [(5, 5), (6, 5), (6, 6), (5, 6)]
    p = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [seam, real_hole])
    cleaned = _without_slivers(p)
    assert len(cleaned.interiors) == 1 and cleaned.area == pytest.approx(99.0)


@pytest.mark.parametrize("values", [[1.0, 1.0, 2.0, np.nan], [3.0, 3.0, 3.0, 3.0]])
def test_budget_map_with_two_or_fewer_distinct_values(tmp_path, values):
    from carbonbalance.plots.maps import choropleth_panels

    units = gpd.GeoDataFrame(
        {"cbi": values, "zone": ["a", "b", "a", "b"], "p": ["x"] * 4},
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs="EPSG:3857",
    )
    choropleth_panels(
        units,
        [{"column": "zone", "title": "zones", "categorical": True}, {"column": "cbi", "title": "CBI"}],
        outline_column="p",
        out_png=tmp_path / "m.png",
    )
    assert (tmp_path / "m.png").stat().st_size > 5000


def test_hotspot_map_of_a_large_grid_shows_every_class_it_holds(tmp_path):
    """The grid is drawn at about the figure's resolution (every k-th cell); wide bands of
    each class still appear in their colours, and no data stays the background."""
    import matplotlib.image as mpimg
    from matplotlib.colors import to_rgb

    from carbonbalance.plots.spatial import HOTSPOT_COLOURS, hotspot_map

    z = np.full((4500, 900), np.nan)
    levels = [-3.0, -2.0, -1.7, 0.0, 1.7, 2.0, 3.0]  # one band of rows per class
    for k, v in enumerate(levels):
        z[k * 600 : (k + 1) * 600, :] = v
    units = gpd.GeoDataFrame({"u": [1]}, geometry=[box(0, 0, 900, 4500)], crs="EPSG:3857")
    hotspot_map(z, [0, 900, 0, 4500], units, tmp_path / "h.png", "Gi*")
    rgb = mpimg.imread(tmp_path / "h.png")[..., :3].reshape(-1, 3)
    for colour in HOTSPOT_COLOURS:
        assert (np.abs(rgb - np.array(to_rgb(colour))).max(axis=1) < 0.02).sum() > 200, colour
    assert (np.abs(rgb - np.array(to_rgb("#dddddd"))).max(axis=1) < 0.02).sum() > 200  # no data
