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
    from carbonbalance.plots.maps import NO_DATA

    assert (np.abs(rgb - np.array(to_rgb(NO_DATA))).max(axis=1) < 0.02).sum() > 200  # no data
    assert "#ffffff" not in HOTSPOT_COLOURS and NO_DATA not in HOTSPOT_COLOURS


def _painted(ax, x0: float, width: float = 1e4) -> dict:
    """Face colour per unit of a row of ``width`` wide boxes starting at ``x0`` (a collection
    may hold one colour for all its polygons)."""
    painted = {}
    for coll in ax.collections:
        faces = coll.get_facecolors()
        for j, path in enumerate(coll.get_paths()):
            if len(faces) and path.vertices.size:
                painted[int((path.vertices[:, 0].mean() - x0) // width)] = tuple(faces[min(j, len(faces) - 1)])
    return painted


ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs"


def _albers(lon, lat):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", ALBERS, always_xy=True).transform(lon, lat)


def test_scale_and_north_follow_the_projection():
    """Ground metres per map unit: 1 on an Albers standard parallel (true scale there), about
    111.32 km x cos(latitude) per degree, N cos(latitude) / a in Web Mercator; north along the
    central meridian is straight up and leans towards it on either side (meridians converge)."""
    from carbonbalance.plots.base import crs_label, ground_metres_per_unit, north_direction

    assert ground_metres_per_unit(ALBERS, *_albers(110, 25)) == pytest.approx(1.0, abs=1e-4)
    assert ground_metres_per_unit(ALBERS, *_albers(110, 36)) > 1.0  # between the parallels, shrunk on the map
    assert ground_metres_per_unit("EPSG:4326", 110, 40) == pytest.approx(111_320 * np.cos(np.radians(40)), rel=3e-3)
    y40 = 4_865_942.28  # latitude 40° in Web Mercator
    e2, phi = 0.00669437999, np.radians(40)  # WGS 84: a parallel's radius is N cos(phi), N = a / sqrt(1 - e2 sin2)
    parallel = np.cos(phi) / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    assert ground_metres_per_unit("EPSG:3857", 0, y40) == pytest.approx(parallel)
    assert north_direction(ALBERS, *_albers(105, 35)) == pytest.approx((0.0, 1.0), abs=1e-9)
    east, west = north_direction(ALBERS, *_albers(120, 35)), north_direction(ALBERS, *_albers(90, 35))
    assert east[0] < -0.1 and west[0] > 0.1 and east[1] > 0.9  # 15° off the meridian: about 8.6° of tilt
    assert north_direction("EPSG:4326", 120, 35) == pytest.approx((0.0, 1.0), abs=1e-9)
    assert crs_label(ALBERS) == "Albers Equal Area (lat₁ 25°, lat₂ 47°, lon₀ 105°), WGS 84 ellipsoid"
    assert crs_label("EPSG:4326") == "EPSG:4326 WGS 84"


def test_every_map_has_a_scale_bar_a_north_arrow_and_its_crs(tmp_path, monkeypatch):
    """Raster panels, choropleths, the hot-spot map and the centre-of-gravity map each carry a
    scale bar and a north arrow in every panel, and the CRS below the last one."""
    import pandas as pd
    import rasterio
    from matplotlib_scalebar.scalebar import ScaleBar
    from rasterio.transform import from_origin

    import carbonbalance.plots.spatial as spatial
    from carbonbalance.plots.maps import choropleth_panels, map_panels

    x0, y0 = _albers(112, 36)
    units = gpd.GeoDataFrame(
        {"v": [1.0, 2.0, 3.0, 4.0], "p": ["a", "a", "b", "b"]},
        geometry=[box(x0 + i * 1e4, y0, x0 + (i + 1) * 1e4, y0 + 1e4) for i in range(4)],
        crs=ALBERS,
    )
    tif = tmp_path / "g.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=40, height=10, count=1, dtype="float32", crs=ALBERS,
                       transform=from_origin(x0, y0 + 1e4, 1000, 1000)) as dst:  # fmt: skip
        dst.write(np.arange(400, dtype="float32").reshape(1, 10, 40))
        dst.update_tags(units="g C m-2 yr-1")
    figures = [
        map_panels([{"path": tif, "title": "a"}, {"path": tif, "title": "b"}], outlines=units),
        choropleth_panels(units, [{"column": "v", "title": "v"}], outline_column="p"),
    ]
    monkeypatch.setattr(spatial, "finish", lambda fig, **kw: figures.append(fig))
    spatial.hotspot_map(np.zeros((10, 40)), [x0, x0 + 4e4, y0, y0 + 1e4], units, None, "Gi*")
    centres = pd.DataFrame({"year": [2019, 2020], "cx": [x0 + 1e4, x0 + 2e4], "cy": [y0 + 5e3] * 2,
                            "sigma_x_m": [5e3] * 2, "sigma_y_m": [3e3] * 2, "angle_rad": [0.1] * 2})  # fmt: skip
    spatial.centre_trajectory(units, centres, None)
    assert len(figures) == 4
    for fig in figures:
        maps = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        for ax in maps:
            assert sum(isinstance(a, ScaleBar) for a in ax.artists) == 1
            assert [t.get_text() for t in ax.texts if t.get_text() == "N"] == ["N"]
        notes = [t.get_text() for ax in maps for t in ax.texts if t.get_text().startswith("Albers")]
        assert notes == ["Albers Equal Area (lat₁ 25°, lat₂ 47°, lon₀ 105°), WGS 84 ellipsoid"]


def test_threshold_classes_break_at_the_threshold_on_a_palette_centred_there():
    from matplotlib import colormaps

    from carbonbalance.plots.maps import threshold_classes

    values = np.array([0.1, 0.3, 0.5, 0.9, 1.0, 1.2, 2.0, 5.0, 9.0, np.nan])
    bins, colours = threshold_classes(values, 1.0, k=6, cmap="RdYlGn_r")
    assert 1.0 in bins and bins == sorted(bins) and bins[-1] == 9.0 and len(colours) == len(bins)
    n_below = bins.index(1.0) + 1  # green (RGBA: G > R) up to 1, red above
    assert all(c[1] > c[0] for c in colours[:n_below]) and all(c[0] > c[1] for c in colours[n_below:])
    assert colours[0] == colormaps["RdYlGn_r"](0.5 * 0.5 / n_below)  # the lower half of the palette
    above_only, _ = threshold_classes([1.5, 2.0, 3.0], 1.0, k=6)
    assert 1.0 not in above_only and above_only[-1] == 3.0


def test_budget_choropleths_colour_zones_by_meaning_and_keep_legends_off_the_map():
    """Sink zones green, high-carbon zones red, a user's own zone a neutral colour; no data in
    its own grey; every legend to the right of its map."""
    from matplotlib.colors import to_hex

    from carbonbalance.plots.maps import NO_DATA, ZONE_COLOURS, choropleth_panels, zone_colours

    assert ZONE_COLOURS["carbon sink functional"] == "#1a9850" and ZONE_COLOURS["high-carbon control"] == "#a50026"
    mine = zone_colours(["carbon sink", "my own zone"])
    assert mine["carbon sink"] == ZONE_COLOURS["carbon sink"] and mine["my own zone"] not in ZONE_COLOURS.values()
    assert len(zone_colours([f"zone {k}" for k in range(12)])) == 12  # a user's scheme with many zones
    x0, y0 = _albers(112, 36)
    zones = ["carbon sink functional", "high-carbon optimisation", "low-carbon economic", None]
    units = gpd.GeoDataFrame(
        {"zone": zones, "cbi": [0.4, 3.0, 1.5, np.nan]},
        geometry=[box(x0 + i * 1e4, y0, x0 + (i + 1) * 1e4, y0 + 1e4) for i in range(4)],
        crs=ALBERS,
    )
    fig = choropleth_panels(
        units,
        [{"column": "zone", "title": "zones", "zones": True}, {"column": "cbi", "title": "CBI", "threshold": 1.0}],
    )
    fig.canvas.draw()
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None and legend.get_window_extent().x0 >= ax.get_window_extent().x1 - 1
    painted = {k: to_hex(c) for k, c in _painted(fig.axes[0], x0).items()}
    assert painted == {0: ZONE_COLOURS[zones[0]], 1: ZONE_COLOURS[zones[1]], 2: ZONE_COLOURS[zones[2]], 3: NO_DATA}
    assert NO_DATA not in ZONE_COLOURS.values() and NO_DATA != "#ffffff"


def test_centre_of_gravity_map_enlarges_the_trajectory_with_shifts_in_km(monkeypatch):
    import pandas as pd

    import carbonbalance.plots.spatial as spatial

    x0, y0 = _albers(112, 36)
    units = gpd.GeoDataFrame({"u": [1]}, geometry=[box(x0, y0, x0 + 2e5, y0 + 2e5)], crs=ALBERS)
    centres = pd.DataFrame({"year": [2019, 2020, 2021], "cx": [x0 + 1e5, x0 + 1.025e5, x0 + 1.035e5],
                            "cy": [y0 + 1e5, y0 + 1e5, y0 + 0.99e5], "sigma_x_m": [5e4] * 3, "sigma_y_m": [4e4] * 3,
                            "angle_rad": [0.2] * 3, "shift_m": [np.nan, 2500.0, np.hypot(1000, 1000)]})  # fmt: skip
    figures = []
    monkeypatch.setattr(spatial, "finish", lambda fig, **kw: figures.append(fig))
    spatial.centre_trajectory(units, centres, None)
    (inset,) = figures[0].axes[0].child_axes
    texts = [t.get_text() for t in inset.texts]
    assert [t for t in texts if t.endswith("km")] == ["2.5 km", "1.4 km"]
    assert {"2019", "2020", "2021"} <= set(texts)
    assert len([t for t in inset.texts if t.arrow_patch is not None and not t.get_text()]) == 2  # one arrow per step


def test_raster_panels_share_one_scale_and_stay_inside_the_units(tmp_path):
    """Emission categories on one log scale; the image clipped to the units (the outside stays
    white), no data inside them grey, zeros at the scale's lower end."""
    import rasterio
    from rasterio.transform import from_origin

    from carbonbalance.plots.maps import NO_DATA, map_panels

    x0, y0 = _albers(112, 36)
    units = gpd.GeoDataFrame({"u": [1]}, geometry=[box(x0 + 5e3, y0 + 2e3, x0 + 3e4, y0 + 8e3)], crs=ALBERS)
    paths = []
    for k, scale in enumerate((1.0, 1000.0)):
        a = (np.arange(400, dtype="float64").reshape(10, 40) + 1) * scale
        a[0, 0], a[5, 10] = 0.0, np.nan
        path = tmp_path / f"e{k}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=40, height=10, count=1, dtype="float64", crs=ALBERS,
                           transform=from_origin(x0, y0 + 1e4, 1000, 1000)) as dst:  # fmt: skip
            dst.write(a[None])
            dst.update_tags(units="t CO2 per cell")
        paths.append(path)
    panels = [{"path": p, "title": p.stem, "log": True, "cmap": "YlOrRd"} for p in paths]
    own = map_panels(panels, outlines=units)
    shared = map_panels(panels, outlines=units, shared_scale=True)
    lims = [(im.norm.vmin, im.norm.vmax) for ax in shared.axes for im in ax.images]
    assert len(lims) == 2 and lims[0] == lims[1]
    assert [(im.norm.vmin, im.norm.vmax) for ax in own.axes for im in ax.images][0] != lims[0]
    for ax in shared.axes:
        for im in ax.images:
            assert im.get_clip_path() is not None  # clipped to the units
            assert np.allclose(im.cmap.get_under(), im.cmap(0.0))  # zeros: the lowest colour
        if ax.images:
            assert ax.collections[0].get_facecolor()[0][:3] == pytest.approx(
                tuple(int(NO_DATA[i : i + 2], 16) / 255 for i in (1, 3, 5))
            )
    assert shared.axes[-1].get_ylabel() == "t CO₂ per cell"


def test_moran_scatter_of_the_first_and_last_year_and_a_lisa_map_of_every_year(monkeypatch):
    import pandas as pd
    from libpysal.weights import lat2W

    import carbonbalance.plots.spatial as spatial

    x0, y0 = _albers(112, 36)
    gdf = gpd.GeoDataFrame(
        {"unit_id": [f"u{i}" for i in range(9)]},
        geometry=[box(x0 + (i % 3) * 1e4, y0 + (i // 3) * 1e4, x0 + (i % 3 + 1) * 1e4, y0 + (i // 3 + 1) * 1e4)
                  for i in range(9)],
        crs=ALBERS,
    )  # fmt: skip
    w = lat2W(3, 3)
    w.transform = "r"
    years = (2019, 2020, 2021)
    rng = np.random.default_rng(3)
    values = {"ce_tco2": {y: rng.gamma(2.0, 1e5, 9) for y in years}}
    lisa = pd.DataFrame([(f"u{i}", "ns" if i else "HH", "ce_tco2", y) for y in years for i in range(9)],
                        columns=["unit_id", "cluster", "variable", "year"])  # fmt: skip
    moran = pd.DataFrame({"variable": "ce_tco2", "year": years, "I": [0.1, 0.2, 0.3], "p_sim": [0.2, 0.1, 0.05]})
    figures = []
    monkeypatch.setattr(spatial, "finish", lambda fig, **kw: figures.append(fig))
    spatial.moran_and_lisa(gdf, values, w, lisa, moran, None)
    titles = [ax.get_title() for ax in figures[0].axes if ax.get_title()]
    assert titles[:2] == [
        "Moran scatter, carbon emissions CE, 2019\nI = 0.100, pseudo p = 0.200",
        "Moran scatter, carbon emissions CE, 2021\nI = 0.300, pseudo p = 0.050",
    ]
    assert titles[2:] == [f"LISA clusters, carbon emissions CE, {y}" for y in years]


def test_a_value_at_the_threshold_falls_in_the_class_that_ends_there():
    from carbonbalance.plots.maps import choropleth_panels

    x0, y0 = _albers(112, 36)
    units = gpd.GeoDataFrame(
        {"cbi": [0.5, 1.0, 1.5, 3.0]},
        geometry=[box(x0 + i * 1e4, y0, x0 + (i + 1) * 1e4, y0 + 1e4) for i in range(4)],
        crs=ALBERS,
    )
    fig = choropleth_panels(units, [{"column": "cbi", "title": "CBI", "threshold": 1.0, "k": 2}])
    entries = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert entries == ["0.50 – 1.00", "1.00 – 3.00"]
    painted = _painted(fig.axes[0], x0)
    assert painted[0] == painted[1] != painted[2] == painted[3]  # 1.0 (CE = CS) on the sink side


def test_natural_breaks_are_jenks_optimal_and_the_same_on_every_run():
    """The default classes of a choropleth: Jenks' optimal breaks, whatever the random state
    (mapclassify's NaturalBreaks, k-means from random starts, drew one figure twice with
    different breaks)."""
    import mapclassify
    import pandas as pd

    from carbonbalance.plots.maps import JENKS_MAX_VALUES, natural_breaks, panel_classes

    rng = np.random.default_rng(7)
    v = rng.lognormal(5, 1, 2870)
    np.random.seed(1)
    first = natural_breaks(v, 5)
    np.random.seed(2)
    np.testing.assert_array_equal(natural_breaks(v, 5), first)
    np.testing.assert_array_equal(first, mapclassify.FisherJenks(v, k=5).bins)
    # goodness of variance fit: no worse than mapclassify's k-means breaks
    assert mapclassify.FisherJenks(v, k=5).adcm <= mapclassify.NaturalBreaks(v, k=5).adcm + 1e-9
    # many values: evenly spaced ranks, the largest value still the last bound
    big = rng.lognormal(5, 1, 3 * JENKS_MAX_VALUES)
    assert natural_breaks(big, 5)[-1] == big.max() and len(natural_breaks(big, 5)) == 5
    classes = [panel_classes(pd.Series(v), {"column": "x"})[0] for _ in range(2)]
    assert classes[0] == classes[1]
