"""Maps of gridded results (PNG) with administrative outlines."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from carbonbalance.core.store import read_decimated as read_for_map
from carbonbalance.plots.base import finish, map_furniture, outline_width, pyplot
from carbonbalance.plots.labels import pretty_units

log = logging.getLogger(__name__)


def _without_slivers(geom, min_area: float = 1.0):
    """``geom`` without interior rings under ``min_area`` (the zero-area seams a dissolve
    of units whose shared edges differ in the last digits leaves behind)."""
    from shapely.geometry import MultiPolygon, Polygon

    def clean(p):
        return Polygon(p.exterior, [r for r in p.interiors if Polygon(r).area >= min_area])

    if geom.geom_type == "Polygon":
        return clean(geom)
    if geom.geom_type == "MultiPolygon":
        return MultiPolygon([clean(p) for p in geom.geoms])
    return geom


def panel_columns(n: int) -> int:
    """Columns of a figure of ``n`` map panels: up to three in a row, four as 2 x 2, more in
    rows of three, so that the figure stays readable when a report's viewer fits it to its
    width (a row of four maps shrinks each to a quarter)."""
    return n if n <= 3 else 2 if n == 4 else 3


def panel_grid(plt, n: int, width: float, height: float):
    """(figure, flat list of ``n`` axes) on :func:`panel_columns`, ``width`` x ``height`` inches
    per panel; the grid's unused cells are hidden."""
    cols = panel_columns(n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), constrained_layout=True, squeeze=False)
    flat = list(axes.flat)
    for extra in flat[n:]:
        extra.set_visible(False)
    return fig, flat[:n]


def map_panels(
    panels: list[dict],
    outlines=None,
    outline_groups: list[str] | None = None,
    title: str | None = None,
    out_png=None,
    dpi: int = 150,
    shared_scale: bool = False,
):
    """One row of raster maps, each with its colour bar in the raster's units.

    panels : [{"path": ..., "title": ..., "cmap": ..., "diverging": bool, "log": bool}]
             ``log``: logarithmic colour scale over the positive values; zeros and values
             below the scale take its lowest colour (the colour bar's lower end)
    outlines : GeoDataFrame of the finest units (drawn thin); ``outline_groups`` are id
               columns dissolved into thicker outlines (e.g. the province id).
    shared_scale : one colour scale for all panels (from the values of all of them), so that
               panels of one quantity (the emission categories) compare by eye
    Cells inside the units without a value are :data:`NO_DATA` grey, the outside white.
    """
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, TwoSlopeNorm

    def shown(a, p):  # the values a panel's scale is drawn from
        return a[np.isfinite(a) & (a > 0)] if p.get("log") else a[np.isfinite(a)]

    plt = pyplot()
    fig, axes = panel_grid(plt, len(panels), 5.2, 5.0)
    grids = [read_for_map(p["path"]) for p in panels]
    pooled = np.concatenate([shown(g[0], p) for g, p in zip(grids, panels)]) if shared_scale else None
    crs = _crs_of(panels[0]["path"], outlines)
    if outlines is not None:  # simplified and dissolved once for every panel
        extent = grids[0][1]
        shapes = display_shapes(outlines, (extent[1] - extent[0]) / 1500, outline_groups or [])
    for ax, p, (a, extent, units) in zip(axes, panels, grids):
        if outlines is not None:  # no data inside the region shows through the raster's NaN
            shapes.units.plot(ax=ax, color=NO_DATA, linewidth=0, zorder=0)
        cmap = colormaps[p.get("cmap", "viridis")]
        finite = pooled if shared_scale else shown(a, p)
        kw = {}
        if finite.size:
            lo, hi = np.percentile(finite, [2, 98])
            if p.get("log"):
                a = np.where(np.isfinite(a) & (a <= 0), lo / 10, a)  # zeros below the scale
                cmap = cmap.with_extremes(under=cmap(0.0))
                kw["norm"] = LogNorm(vmin=lo, vmax=max(np.percentile(finite, 99.9), lo * 10))
            elif p.get("diverging"):
                m = max(abs(lo), abs(hi), 1e-9)
                kw["norm"] = TwoSlopeNorm(vcenter=0.0, vmin=-m, vmax=m)
            else:
                kw.update(vmin=lo, vmax=hi if hi > lo else lo + 1)
        im = ax.imshow(a, extent=extent, cmap=cmap, interpolation="nearest", **kw)
        if outlines is not None:  # nothing outside the units (zeros of an emission grid there)
            im.set_clip_path(shapes.region, transform=ax.transData)
            shapes.units.boundary.plot(ax=ax, color="0.35", linewidth=outline_width(len(shapes.units)))
            for groups in shapes.groups.values():
                groups.plot(ax=ax, color="black", linewidth=0.9)
        ax.set_title(p["title"])
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")  # the outlines' plot labels the axes "Easting [metre]"; the scale bar says it
        ax.set_ylabel("")
        map_furniture(ax, crs, note=ax is axes[len(panels) - 1])
        cb = fig.colorbar(im, ax=ax, shrink=0.8, extend="both")
        cb.set_label(pretty_units(units))
    return finish(fig, title, out_png, dpi)


@dataclass
class DisplayShapes:
    """Units as a map draws them: simplified to about a pixel, the groups' outlines dissolved
    from them, the region as one clip path; made once per figure, shared by its panels."""

    units: object  # GeoDataFrame
    groups: dict  # column -> GeoSeries of the dissolved groups' boundaries
    region: object  # matplotlib Path


def display_shapes(units, tolerance: float | None = None, group_columns=(), pixels: int = 1500) -> DisplayShapes:
    """:class:`DisplayShapes` of ``units`` at ``tolerance`` (map units, about a pixel; by
    default the units' width over ``pixels``)."""
    if tolerance is None:
        x0, _, x1, _ = units.total_bounds
        tolerance = (x1 - x0) / pixels
    simple = units.assign(geometry=units.geometry.simplify(tolerance))
    groups = {}
    for col in group_columns:
        dissolved = simple[[col, "geometry"]].dissolve(by=col)
        groups[col] = dissolved.geometry.apply(_without_slivers).boundary
    return DisplayShapes(simple, groups, region_path(simple, 0.0))


def region_path(units, tolerance: float):
    """One compound matplotlib path of every unit's rings, simplified to ``tolerance`` (about a
    pixel of the figure), to clip a raster to the region."""
    from matplotlib.path import Path

    verts, codes = [], []
    for geom in units.geometry.simplify(tolerance) if tolerance > 0 else units.geometry:
        for xy, code in _rings(geom):
            verts.append(xy)
            codes.append(code)
    return Path(np.concatenate(verts), np.concatenate(codes))


def _rings(geom):
    """(vertices, path codes) of every ring of a (multi)polygon with at least three points."""
    from matplotlib.path import Path

    for poly in getattr(geom, "geoms", [geom]) if geom is not None else []:
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) >= 3:
                yield xy, np.array([Path.MOVETO] + [Path.LINETO] * (len(xy) - 2) + [Path.CLOSEPOLY])


def _crs_of(path, outlines=None):
    """The CRS a raster map is drawn in: the outlines' (the run's grid CRS), else the raster's."""
    if outlines is not None and outlines.crs is not None:
        return outlines.crs
    import rasterio

    with rasterio.open(path) as src:
        return src.crs.to_wkt()


#: what figures paint where a unit or a cell inside the region has no value: a mid grey,
#: apart from the white outside the region and from every class colour used here
NO_DATA = "#b0b0b0"

#: zone colours that follow their meaning (sink zones green, low-carbon zones blue, intensity
#: control orange, high-carbon and total-control zones red to brown); colour-blind safe in
#: pairs of neighbours (ColorBrewer RdYlBu / BrBG hues)
ZONE_COLOURS = {
    "carbon sink functional": "#1a9850",
    "carbon sink": "#1a9850",
    "low-carbon optimisation": "#a6d96a",
    "low-carbon economic": "#4575b4",
    "low-carbon development": "#91bfdb",
    "carbon intensity control": "#fdae61",
    "high-carbon optimisation": "#d73027",
    "high-carbon control": "#a50026",
    "total carbon control": "#8c510a",
}


def zone_colours(names) -> dict:
    """Colour per zone name: :data:`ZONE_COLOURS`, and for zones of a user's own scheme the
    neutral colours of ColorBrewer's Set2 in order (again from the first after eight)."""
    import itertools

    from matplotlib import colormaps

    extra = itertools.cycle(colormaps["Set2"].colors)
    return {n: ZONE_COLOURS[n] if n in ZONE_COLOURS else next(extra) for n in names}


def zone_order(names) -> list:
    """Zone names in the order of :data:`ZONE_COLOURS` (sink first, high-carbon last), a
    user's own zones after them in the order given."""
    order = list(ZONE_COLOURS)
    return sorted(names, key=lambda n: order.index(n) if n in ZONE_COLOURS else len(order))


def threshold_classes(values, threshold: float, k: int = 6, cmap: str = "RdBu_r"):
    """Class breaks with ``threshold`` as one of them (CBI = 1: sink or source) and a diverging
    palette centred on it: up to ``k // 2`` quantile classes on each side, the classes below
    the threshold in the lower half of ``cmap``, those above in the upper half.  Returns
    (upper bounds of the classes, their colours)."""
    from matplotlib import colormaps

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    below, above = np.sort(v[v <= threshold]), np.sort(v[v > threshold])
    half = max(1, k // 2)

    def bounds(side, lo_end):
        if side.size == 0:
            return []
        qs = np.unique(np.quantile(side, np.linspace(0, 1, half + 1)[1:]))
        return [float(q) for q in qs if (q < threshold if lo_end else q > threshold)]

    lower = bounds(below, True) + ([threshold] if below.size else [])
    upper = bounds(above, False)
    cm = colormaps[cmap]
    colours = [cm(0.5 * (i + 0.5) / len(lower)) for i in range(len(lower))]
    colours += [cm(0.5 + 0.5 * (i + 0.5) / len(upper)) for i in range(len(upper))]
    return lower + upper, colours


def diverging_norm(values, centre: float = 0.0):
    """A colour norm diverging at ``centre`` (zero: sinks and receivers below, sources and payers
    above) with each side stretched to its own 2nd or 98th percentile, so that a few large
    values on one side do not wash out the other; a side without values gets a token range."""
    from matplotlib.colors import TwoSlopeNorm

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo, hi = np.percentile(v, [2, 98]) if v.size else (centre - 1.0, centre + 1.0)
    tiny = max(1e-9, 1e-6 * float(np.max(np.abs(v - centre))) if v.size else 1.0)
    return TwoSlopeNorm(vcenter=centre, vmin=min(lo, centre - tiny), vmax=max(hi, centre + tiny))


def class_names(bins, lowest: float, fmt: str = "{:,.2f}") -> list[str]:
    """Legend entries of classes with upper bounds ``bins`` above ``lowest``: ``0.10 – 1.00``
    (each class holds the values above its lower and up to its upper bound)."""
    lows = [lowest] + list(bins[:-1])
    return [f"{fmt.format(lo)} – {fmt.format(hi)}" for lo, hi in zip(lows, bins)]


def _legend_outside(**kw) -> dict:
    """Legend keywords that put it to the right of the map, outside the mapped area."""
    return {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 7, "frameon": False} | kw


#: values beyond which :func:`natural_breaks` classes evenly spaced ranks of them
JENKS_MAX_VALUES = 5000


def natural_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` classes of ``values`` by Jenks' natural breaks, the optimal ones
    (mapclassify's ``FisherJenks``; ArcGIS's "Natural Breaks (Jenks)"), the same on every run.
    mapclassify's ``NaturalBreaks`` is k-means from random starts: the same figure drawn twice
    got different breaks.  Over :data:`JENKS_MAX_VALUES` values (the exact method is O(k n²)),
    from that many evenly spaced ranks, the smallest and largest included."""
    import mapclassify

    v = np.sort(np.asarray(values, dtype=float))
    if v.size > JENKS_MAX_VALUES:
        v = v[np.linspace(0, v.size - 1, JENKS_MAX_VALUES).round().astype(np.int64)]
    return mapclassify.FisherJenks(v, k=k).bins


def panel_classes(values, p: dict) -> tuple[list, list[str], list]:
    """(class name per unit, None for no value; the class names in legend order; their
    colours) of one choropleth panel ``p`` (see :func:`choropleth_panels`)."""
    from matplotlib import colormaps

    fmt = p.get("fmt", "{:,.2f}")
    distinct = values.dropna().unique()
    if p.get("classes"):  # named classes in legend order with their colours
        names, colours = [n for n, _ in p["classes"]], [c for _, c in p["classes"]]
        return [str(v) if v is not None and v == v else None for v in values], names, colours
    if p.get("zones") or p.get("categorical"):
        if p.get("zones"):
            names = zone_order(distinct)
            colours = [zone_colours(names)[n] for n in names]
        else:
            names = sorted(str(n) for n in distinct)
            cm = colormaps[p.get("cmap", "tab10")]
            colours = [cm(k % cm.N) for k in range(len(names))]
        classes = [str(v) if v is not None and v == v else None for v in values]
        return classes, names, colours
    v = values.to_numpy(dtype=float)
    ok = np.isfinite(v)
    if p.get("threshold") is not None and len(distinct) >= 2:
        # the classes applied here (mapclassify's UserDefined would do the same and cost a 3-5 s
        # import per figure job at national scale)
        bins, colours = threshold_classes(v, float(p["threshold"]), int(p.get("k", 6)), p.get("cmap", "RdBu_r"))
    elif len(distinct) >= 3:
        import mapclassify

        k = max(2, min(int(p.get("k", 5)), len(distinct) - 1))
        scheme = p.get("scheme")
        bins = list(natural_breaks(v[ok], k) if scheme is None else mapclassify.classify(v[ok], scheme, k=k).bins)
        cm = colormaps[p.get("cmap", "viridis")]
        colours = [cm((i + 0.5) / len(bins)) for i in range(len(bins))]
    else:  # one or two distinct values: no classes to break, show them as categories
        names = [f"{x:.4g}" for x in sorted(distinct)]
        cm = colormaps[p.get("cmap", "viridis")]
        colours = [cm(0.25 + 0.5 * k) for k in range(len(names))]
        return [f"{x:.4g}" if good else None for x, good in zip(v, ok)], names, colours
    names = class_names(bins, float(v[ok].min()), fmt)  # "a – b": above a, up to b
    index = np.minimum(np.searchsorted(np.asarray(bins), v, side="left"), len(names) - 1)
    return [names[i] if good else None for i, good in zip(index, ok)], names, colours


def choropleth_panels(
    units, panels: list[dict], outline_column: str | None = None, title: str | None = None, out_png=None, dpi: int = 150
):
    """Unit maps (:func:`panel_grid`), each legend to the right of its map.

    panels : [{"column": ..., "title": ..., "categorical": bool, "zones": bool, "cmap": ...,
               "scheme": mapclassify scheme (default Jenks' natural breaks,
               :func:`natural_breaks`), "k": classes,
               "threshold": a value that must be a class break (CBI = 1), "fmt": legend
               number format, "classes": [(name, colour)] of a column of class names}]
    ``zones`` colours zone names by their meaning (:func:`zone_colours`); ``threshold``
    classes the values on each side of it on a diverging palette (:func:`threshold_classes`).
    Units without a value are drawn in :data:`NO_DATA` and listed in the legend as "no data".
    The units are simplified once and drawn as one collection of paths per panel.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Patch

    plt = pyplot()
    fig, axes = panel_grid(plt, len(panels), 6.6, 5.2)
    shapes = display_shapes(units, group_columns=[outline_column] if outline_column else [])
    units = shapes.units  # simplified once for every panel
    paths = unit_paths(units)
    x0, y0, x1, y1 = units.total_bounds
    for ax, p in zip(axes, panels):
        classes, names, colours = panel_classes(units[p["column"]], p)
        colour_of = dict(zip(names, colours))
        faces = [colour_of.get(c, NO_DATA) if c is not None else NO_DATA for c in classes]
        ax.add_collection(PathCollection(paths, facecolors=faces, edgecolors="0.4",
                                         linewidths=outline_width(len(units))), autolim=False)  # fmt: skip
        for groups in shapes.groups.values():
            groups.plot(ax=ax, color="black", linewidth=0.9)
        handles = [Patch(facecolor=colour_of[n], edgecolor="0.4", label=n) for n in names]
        if any(c is None for c in classes):
            handles.append(Patch(facecolor=NO_DATA, edgecolor="0.4", label="no data"))
        ax.legend(handles=handles, **_legend_outside())
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_title(p["title"])
        ax.set_axis_off()
        map_furniture(ax, units.crs, note=ax is axes[len(panels) - 1])
    return finish(fig, title, out_png, dpi)


def unit_paths(units) -> list:
    """One matplotlib Path per unit (all rings of its polygons), in the order of ``units``."""
    from matplotlib.path import Path

    paths = []
    for geom in units.geometry:
        rings = list(_rings(geom))
        if rings:
            paths.append(Path(np.concatenate([r[0] for r in rings]), np.concatenate([r[1] for r in rings])))
        else:  # an empty geometry: a path that draws nothing, so that paths and units stay aligned
            paths.append(Path(np.zeros((1, 2))))
    return paths
