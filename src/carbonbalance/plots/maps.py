"""Maps of gridded results (PNG) with administrative outlines."""

from __future__ import annotations

import logging

import numpy as np

from carbonbalance.core.store import read_decimated as read_for_map
from carbonbalance.plots.base import finish, map_furniture, pyplot
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


def map_panels(
    panels: list[dict],
    outlines=None,
    outline_groups: list[str] | None = None,
    title: str | None = None,
    out_png=None,
    dpi: int = 150,
):
    """One row of raster maps, each with its colour bar in the raster's units.

    panels : [{"path": ..., "title": ..., "cmap": ..., "diverging": bool, "log": bool}]
             ``log``: logarithmic colour scale over the positive values (zeros left blank)
    outlines : GeoDataFrame of the finest units (drawn thin); ``outline_groups`` are id
               columns dissolved into thicker outlines (e.g. the province id).
    """
    from matplotlib.colors import LogNorm, TwoSlopeNorm

    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 5.0), constrained_layout=True, squeeze=False)
    for ax, p in zip(axes[0], panels):
        a, extent, units = read_for_map(p["path"])
        ax.set_facecolor("#dddddd")
        if p.get("log"):
            a = np.where(a > 0, a, np.nan)
        finite = a[np.isfinite(a)]
        kw = {}
        if finite.size:
            lo, hi = np.percentile(finite, [2, 98])
            if p.get("log"):
                kw["norm"] = LogNorm(vmin=lo, vmax=max(np.percentile(finite, 99.9), lo * 10))
            elif p.get("diverging"):
                m = max(abs(lo), abs(hi), 1e-9)
                kw["norm"] = TwoSlopeNorm(vcenter=0.0, vmin=-m, vmax=m)
            else:
                kw.update(vmin=lo, vmax=hi if hi > lo else lo + 1)
        im = ax.imshow(a, extent=extent, cmap=p.get("cmap", "viridis"), interpolation="nearest", **kw)
        if outlines is not None:
            outlines.boundary.plot(ax=ax, color="0.35", linewidth=0.3)
            for col in outline_groups or []:
                _group_outlines(ax, outlines, col)
        ax.set_title(p["title"])
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")  # the outlines' plot labels the axes "Easting [metre]"; the scale bar says it
        ax.set_ylabel("")
        map_furniture(ax, _crs_of(p["path"], outlines), note=ax is axes[0][-1])
        cb = fig.colorbar(im, ax=ax, shrink=0.8, extend="both")
        cb.set_label(pretty_units(units))
    return finish(fig, title, out_png, dpi)


def _crs_of(path, outlines=None):
    """The CRS a raster map is drawn in: the outlines' (the run's grid CRS), else the raster's."""
    if outlines is not None and outlines.crs is not None:
        return outlines.crs
    import rasterio

    with rasterio.open(path) as src:
        return src.crs.to_wkt()


def _group_outlines(ax, units, column: str) -> None:
    """Thick outlines of the groups of ``units`` by ``column`` (e.g. provinces)."""
    groups = units[[column, "geometry"]].dissolve(by=column)
    groups.geometry.apply(_without_slivers).boundary.plot(ax=ax, color="black", linewidth=0.9)


def choropleth_panels(
    units, panels: list[dict], outline_column: str | None = None, title: str | None = None, out_png=None, dpi: int = 150
):
    """One row of unit maps.

    panels : [{"column": ..., "title": ..., "categorical": bool, "cmap": ...,
               "scheme": mapclassify scheme (default NaturalBreaks), "k": classes}]
    Units without a value are grey and listed in the legend as "missing".
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 5.2), constrained_layout=True, squeeze=False)
    for ax, p in zip(axes[0], panels):
        col = p["column"]
        values = units[col]
        data = units
        kw = dict(
            column=col,
            ax=ax,
            legend=True,
            edgecolor="0.4",
            linewidth=0.3,
            missing_kwds={"color": "#dddddd", "label": "missing"},
        )
        categorical = {"loc": "upper left", "bbox_to_anchor": (0, -0.02), "fontsize": 7, "ncol": 2}
        distinct = values.dropna().unique()
        if p.get("categorical"):
            kw.update(categorical=True, cmap=p.get("cmap", "tab10"), legend_kwds=categorical)
        elif len(distinct) >= 3:
            k = max(2, min(int(p.get("k", 5)), len(distinct) - 1))
            kw.update(
                cmap=p.get("cmap", "viridis"),
                legend_kwds={"fontsize": 7, "loc": "lower right"},
                scheme=p.get("scheme", "NaturalBreaks"),
                k=k,
            )
        else:  # one or two distinct values: no classes to break, show them as categories
            data = units.assign(**{col: values.map(lambda v: f"{v:.4g}", na_action="ignore")})
            kw.update(categorical=True, cmap=p.get("cmap", "viridis"), legend_kwds=categorical)
        data.plot(**kw)
        if outline_column:
            _group_outlines(ax, units, outline_column)
        ax.set_title(p["title"])
        ax.set_axis_off()
        map_furniture(ax, units.crs, note=ax is axes[0][-1])
    return finish(fig, title, out_png, dpi)
