"""What every figure shares: the non-interactive backend (set once here), map furniture
(scale bar, north arrow, the coordinate reference system), saving and closing."""

from __future__ import annotations

import math


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (rules run without a display).

    The Agg canvas's ``draw_idle`` does nothing here: geopandas calls it after every layer
    it plots, and on Agg it renders the whole figure, constrained layout included, each time
    (33 renders of one four-panel MGWR figure, 20 of its 22 seconds).  ``savefig`` renders
    once, as before."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg.draw_idle = _no_draw
    return plt


def _no_draw(*args, **kwargs) -> None:
    """``draw_idle`` of the Agg canvas: nothing to show (see :func:`pyplot`)."""


def finish(fig, title=None, out_png=None, dpi: int = 150):
    """Give ``fig`` its title, write it to ``out_png`` (and close it) if given; returns ``fig``.

    The PNG carries the figure's words (:func:`figure_texts`) as JSON in its ``Description``
    text chunk, so that a test can check every figure's titles and units without reading
    pixels."""
    import json

    if title:
        fig.suptitle(title)
    if out_png is not None:
        words = json.dumps(figure_texts(fig), ensure_ascii=False)
        fig.savefig(out_png, dpi=dpi, format="png", metadata={"Title": title or "", "Description": words})
        pyplot().close(fig)
    return fig


def figure_texts(fig) -> dict:
    """What a reader of ``fig`` reads, tick labels aside: ``titles`` (the figure's and the
    panels'), ``labels`` (axis and colour-bar labels, legend titles) and ``notes`` (legend
    entries and free text such as the CRS note)."""
    titles, labels, notes = [], [], []
    if fig._suptitle is not None and fig._suptitle.get_text():
        titles.append(fig._suptitle.get_text())
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        titles += [t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t]
        if ax.axison:  # a map's axes are off: geopandas' "Easting [metre]" is never shown
            labels += [t for t in (ax.get_xlabel(), ax.get_ylabel()) if t]
        legend = ax.get_legend()
        if legend is not None:
            if legend.get_title().get_text():
                labels.append(legend.get_title().get_text())
            notes += [t.get_text() for t in legend.get_texts() if t.get_text()]
        notes += [t.get_text() for t in ax.texts if t.get_text()]
    for legend in fig.legends:
        if legend.get_title().get_text():
            labels.append(legend.get_title().get_text())
        notes += [t.get_text() for t in legend.get_texts() if t.get_text()]
    notes += [t.get_text() for t in fig.texts if t.get_text()]
    return {"titles": titles, "labels": labels, "notes": notes}


def year_axis(ax, years) -> None:
    """Years on the x axis as years: every year up to twelve, else whole years chosen by
    matplotlib; never an offset such as ``+2.02e3`` (which two adjacent years provoke)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ys = sorted({int(y) for y in years})
    if len(ys) <= 12:
        ax.set_xticks(ys, [str(y) for y in ys])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    if len(ys) == 1:
        ax.set_xlim(ys[0] - 0.5, ys[0] + 0.5)


def ground_metres_per_unit(crs, x: float, y: float) -> float:
    """Metres on the ground per horizontal map unit at (x, y) of ``crs``: the geodesic length
    of a short east-west step there (1 in Albers or UTM, about 111 km x cos(latitude) for
    degrees, cos(latitude) in Web Mercator)."""
    from pyproj import CRS, Geod, Transformer

    crs = CRS.from_user_input(crs)
    to_geo = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    step = 1e-4 if crs.is_geographic else 100.0
    (lon0, lon1), (lat0, lat1) = to_geo.transform([x - step / 2, x + step / 2], [y, y])
    geod = Geod(ellps="WGS84") if crs.ellipsoid is None else Geod(a=crs.ellipsoid.semi_major_metre,
                                                                  rf=crs.ellipsoid.inverse_flattening)  # fmt: skip
    return geod.inv(lon0, lat0, lon1, lat1)[2] / step


def north_direction(crs, x: float, y: float) -> tuple[float, float]:
    """The unit vector (map units, x east, y up) along the meridian towards north at (x, y):
    straight up in geographic or Mercator maps, tilted towards the central meridian's
    apex in conic ones (Albers) away from the central meridian."""
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(crs)
    to_geo = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    from_geo = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    nx, ny = from_geo.transform(lon, min(lat + 0.01, 89.99))
    dx, dy = nx - x, ny - y
    norm = math.hypot(dx, dy)
    return dx / norm, dy / norm


def crs_label(crs) -> str:
    """A short readable name of ``crs`` for a map's corner, e.g. ``Albers Equal Area (lat₁ 25°,
    lat₂ 47°, lon₀ 105°), WGS 84`` or ``EPSG:4326 WGS 84``."""
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    if epsg is not None:
        return f"EPSG:{epsg} {CRS.from_epsg(epsg).name}"
    datum = crs.datum.name if crs.datum is not None else ""
    datum = {"World Geodetic System 1984": "WGS 84"}.get(datum, datum)
    if datum.startswith("Unknown based on "):  # a proj string with +ellps only
        datum = datum.removeprefix("Unknown based on ")
    op = crs.coordinate_operation
    if op is None:
        return f"{crs.name}, {datum}"
    order = {  # the parameters that name a conic or cylindrical projection, in this order
        "Latitude of 1st standard parallel": "lat₁",
        "Latitude of 2nd standard parallel": "lat₂",
        "Longitude of false origin": "lon₀",
        "Longitude of natural origin": "lon₀",
    }
    values = {p.name: p.value for p in op.params}
    params = [f"{short} {values[name]:g}°" for name, short in order.items() if name in values]
    return f"{op.method_name} ({', '.join(params)}), {datum}" if params else f"{op.method_name}, {datum}"


def map_furniture(ax, crs, note: bool = True) -> None:
    """A scale bar (lower left, true at the map's centre), a north arrow (upper right, along
    the meridian through the map's centre) and, with ``note``, the coordinate reference
    system in the lower right corner of a map drawn in ``crs`` (call it after the extent
    is set; the axes must keep an equal aspect, as maps do)."""
    from matplotlib_scalebar.scalebar import ScaleBar

    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.add_artist(
        ScaleBar(ground_metres_per_unit(crs, cx, cy), "m", location="lower left", length_fraction=0.25,
                 box_alpha=0.75, font_properties={"size": 7}, border_pad=0.6, fixed_units="km")
    )  # fmt: skip
    ux, uy = north_direction(crs, cx, cy)
    # the arrow in points (screen units, equal in x and y), its tip near the upper right
    # corner and the N beyond the tip
    tip = (0.94, 0.88)
    ax.annotate("", xy=tip, xycoords="axes fraction", xytext=(-ux * 22, -uy * 22), textcoords="offset points",
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})  # fmt: skip
    ax.annotate("N", xy=tip, xycoords="axes fraction", xytext=(ux * 8, uy * 8), textcoords="offset points",
                ha="center", va="center", fontsize=8, fontweight="bold")  # fmt: skip
    if note:  # below the map, right-aligned
        ax.text(1.0, -0.01, crs_label(crs), transform=ax.transAxes, ha="right", va="top", fontsize=6, color="0.3")


def outline_width(n_units: int, widest: float = 0.3) -> float:
    """Line width of unit outlines: ``widest`` up to 300 units, thinner as they grow denser
    (0.1 for China's 2,870 counties), so that the outlines do not hide what the map shows."""
    return widest * min(1.0, math.sqrt(300 / max(int(n_units), 1)))
