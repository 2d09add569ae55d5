"""Figures of the spatial stage: Moran scatter, LISA clusters, KDE curves, Dagum
components, centre trajectory with ellipses, and the grid hot-spot map."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.plots.base import finish, map_furniture, outline_width, pyplot, year_axis
from carbonbalance.plots.labels import LABELS, expression_label, label, pretty_units, readable_scale
from carbonbalance.spatial.hotspots import CLASSES as HOTSPOT_CLASSES

LISA_COLOURS = {"HH": "#d7191c", "HL": "#fdae61", "LH": "#abd9e9", "LL": "#2c7bb6", "ns": "#eeeeee"}

#: cold spots blue, hot spots red (ColorBrewer RdBu), "not significant" a light beige apart
#: from the white outside the region and from the grey of no data
HOTSPOT_COLOURS = ["#2166ac", "#67a9cf", "#d1e5f0", "#ece7d5", "#fddbc7", "#ef8a62", "#b2182b"]


def moran_and_lisa(gdf, values: dict, w, lisa: pd.DataFrame, moran: pd.DataFrame, out_png, columns: int = 6) -> None:
    """Per variable: the Moran scatter plots of the first and the last year (standardised
    value against its spatial lag, the fitted line of slope I) and the LISA cluster map of
    every year, in rows of ``columns`` panels; one legend for the maps.

    values : {variable: {year: values in the order of ``gdf``}}
    """
    from matplotlib.patches import Patch

    from carbonbalance.plots.maps import NO_DATA, display_shapes

    plt = pyplot()
    shapes = display_shapes(gdf, pixels=800).units  # simplified once for every (small) map
    names = list(values)
    years = {var: sorted(values[var]) for var in names}
    panels = {var: 2 + len(years[var]) for var in names}
    rows = {var: -(-panels[var] // columns) for var in names}
    fig, axes = plt.subplots(sum(rows.values()), columns, figsize=(3.2 * columns, 3.3 * sum(rows.values())),
                             constrained_layout=True, squeeze=False)  # fmt: skip
    top = 0
    for var in names:
        cells = list(axes[top : top + rows[var]].ravel())
        top += rows[var]
        name = expression_label(var)
        first, last = years[var][0], years[var][-1]
        for ax, year in zip(cells[:2], (first, last)):
            y = np.asarray(values[var][year], dtype="float64")
            ok = np.isfinite(y)
            z = np.where(ok, (y - np.nanmean(y)) / np.nanstd(y), 0.0)
            lag = np.asarray(w.sparse @ z).ravel()
            ax.scatter(z[ok], lag[ok], s=10, color="0.3")
            slope = np.polyfit(z[ok], lag[ok], 1)
            xs = np.linspace(z[ok].min(), z[ok].max(), 2)
            ax.plot(xs, np.polyval(slope, xs), color="#d7191c")
            ax.axhline(0, color="0.6", lw=0.8)
            ax.axvline(0, color="0.6", lw=0.8)
            row = moran[(moran["variable"] == var) & (moran["year"] == year)]
            i_txt = f"\nI = {row['I'].iloc[0]:.3f}, pseudo p = {row['p_sim'].iloc[0]:.3f}" if len(row) else ""
            ax.set_title(f"Moran scatter, {name}, {year}{i_txt}", fontsize=8)
            ax.set_xlabel("standardised value", fontsize=8)
            ax.set_ylabel("spatial lag", fontsize=8)
        for ax, year in zip(cells[2:], years[var]):
            sub = lisa[(lisa["variable"] == var) & (lisa["year"] == year)].set_index("unit_id")["cluster"]
            colours = gdf["unit_id"].map(sub).map(LISA_COLOURS).fillna(NO_DATA)
            shapes.plot(color=colours, edgecolor="0.4", linewidth=outline_width(len(gdf), 0.2), ax=ax)
            ax.set_axis_off()
            ax.set_title(f"LISA clusters, {name}, {year}", fontsize=8)
            map_furniture(ax, gdf.crs, note=var == names[-1] and year == years[var][-1])
        for ax in cells[2 + len(years[var]) :]:
            ax.set_axis_off()
    handles = [Patch(color=c, label=n if n != "ns" else "not significant") for n, c in LISA_COLOURS.items()]
    fig.legend(handles=handles + [Patch(color=NO_DATA, label="no data")], loc="outside lower center",
               ncol=len(handles) + 1, fontsize=8, frameon=False)  # fmt: skip
    finish(fig, out_png=out_png)


def kde_and_dagum(
    kde: pd.DataFrame, dagum: pd.DataFrame, out_png, groups: pd.DataFrame | None = None, group_names=None
) -> None:
    """Per variable: kernel density curves of every year on one axis, the Dagum components
    (within, net between, transvariation) over time and, from ``groups`` (the
    ``dagum_groups`` table), the Gini within each group over time; ``group_names`` maps group
    ids to the names in the legend."""
    plt = pyplot()
    names = list(dict.fromkeys(kde["variable"]))
    n_cols = 3 if groups is not None and len(groups) else 2
    # one row per variable, so that the figure stays wider than tall in the report's viewer
    fig, axes = plt.subplots(len(names), n_cols, figsize=(5 * n_cols, 4 * len(names)), constrained_layout=True,
                             squeeze=False)  # fmt: skip
    for k, var in enumerate(names):
        ax = axes[k, 0]
        rows = kde[kde["variable"] == var]
        name, units = LABELS.get(var, (var, ""))
        factor, shown = readable_scale(rows["x"], units)  # t CO2 in Mt: no 1e7 offset on the axis
        cmap = plt.get_cmap("viridis", max(rows["year"].nunique(), 2))
        for j, (year, part) in enumerate(rows.groupby("year")):
            ax.plot(part["x"] / factor, part["density"] * factor, label=str(year), color=cmap(j))
        ax.set_title(f"Kernel density of {pretty_units(name)}\n(Epanechnikov, Silverman bandwidth)", fontsize=10)
        ax.set_xlabel(f"{pretty_units(name)} ({pretty_units(shown)})" if shown else pretty_units(name))
        ax.set_ylabel(f"density (per {pretty_units(shown)})" if shown else "density")
        lower = rows["lower_bound"].dropna() if "lower_bound" in rows else []
        if len(lower):
            ax.set_xlim(left=float(lower.iloc[0]) / factor)  # reflected at its lower bound: no curve below it
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7, title="year")
        ax = axes[k, 1]
        d = dagum[dagum["variable"] == var] if len(dagum) else dagum
        if len(d):
            ax.stackplot(
                d["year"],
                d["within"],
                d["between"],
                d["transvariation"],
                labels=["within", "net between", "transvariation"],
                alpha=0.85,
            )
            ax.plot(d["year"], d["total"], color="black", marker="o", label="Gini")
            year_axis(ax, d["year"])
            ax.legend(fontsize=7)
        ax.set_title(f"Dagum Gini of {pretty_units(name)}", fontsize=10)
        ax.set_ylabel("Gini coefficient and its components")
        if n_cols == 3:
            within_groups(axes[k, 2], groups[groups["variable"] == var], group_names)
            axes[k, 2].set_title(f"Gini within each group, {pretty_units(name)}", fontsize=10)
    finish(fig, out_png=out_png)


#: groups drawn in colour in a figure of one line per group; the others are thin grey lines
MAX_COLOURED_GROUPS = 8


def within_groups(ax, table: pd.DataFrame, group_names=None) -> None:
    """One line per group of its Gini within the group (G_jj) over the years; past
    :data:`MAX_COLOURED_GROUPS` groups, the largest (most units) in colour and the others
    as thin grey lines, so that 31 provinces stay readable."""
    names = dict(group_names or {})
    sizes = table.groupby("group")["units"].max().sort_values(ascending=False)
    coloured = list(sizes.index[:MAX_COLOURED_GROUPS])
    colours = dict(zip(coloured, pyplot().get_cmap("tab10").colors))
    for group, part in table.sort_values("year").groupby("group"):
        if group in colours:
            ax.plot(part["year"], part["gini_within_group"], marker="o", ms=3, color=colours[group],
                    label=f"{names.get(group, group)} ({int(sizes[group])})")  # fmt: skip
        else:
            ax.plot(part["year"], part["gini_within_group"], color="0.75", lw=0.6, zorder=0)
    if len(sizes) > len(coloured):
        ax.plot([], [], color="0.75", lw=0.6, label=f"{len(sizes) - len(coloured)} smaller groups")
    year_axis(ax, table["year"])
    ax.set_ylabel("Gini within the group")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6, title="group (units)", title_fontsize=7)


def centre_trajectory(units, centres: pd.DataFrame, out_png, grid=None) -> None:
    """Centre of gravity per year with its standard deviational ellipse over the units and,
    with ``grid`` (array, extent, units as :func:`carbonbalance.core.store.read_decimated`
    gives), the last year's emission grid beneath them on a log scale."""
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Ellipse

    from carbonbalance.plots.maps import display_shapes

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.6, 6), constrained_layout=True)
    shapes = display_shapes(units)
    units = shapes.units
    units.plot(ax=ax, color="#f2f2f2", edgecolor="0.6", linewidth=outline_width(len(units)))
    if grid is not None:
        a, extent, grid_units = grid
        positive = a[np.isfinite(a) & (a > 0)]
        if positive.size:
            lo, hi = np.percentile(positive, [2, 99.9])
            im = ax.imshow(np.where(a > 0, a, np.nan), extent=extent, cmap="YlOrRd", norm=LogNorm(lo, max(hi, lo * 10)),
                           interpolation="nearest", alpha=0.85, zorder=1)  # fmt: skip
            im.set_clip_path(shapes.region, transform=ax.transData)
            cb = fig.colorbar(im, ax=ax, shrink=0.6, extend="both", location="bottom", pad=0.01)
            cb.set_label(f"{label('emissions', with_units=False)}, {int(centres['year'].max())} "
                         f"({pretty_units(grid_units)})")  # fmt: skip
    from matplotlib.colors import ListedColormap

    # viridis without its yellow end, which the emission grid's low values would swallow
    cmap = ListedColormap(plt.get_cmap("viridis")(np.linspace(0.0, 0.75, max(len(centres), 2))))
    for k, r in enumerate(centres.itertuples()):
        # σx lies along (cos θ, −sin θ): the x axis turned clockwise by θ (matplotlib turns anticlockwise)
        ax.add_patch(
            Ellipse(
                (r.cx, r.cy),
                2 * r.sigma_x_m,
                2 * r.sigma_y_m,
                angle=-np.degrees(r.angle_rad),
                fill=False,
                color=cmap(k),
                lw=1.5,
                label=str(r.year),
                zorder=3,  # above the emission grid
            )
        )
    ax.plot(centres["cx"], centres["cy"], "o", color="black", ms=2, zorder=4)
    ax.set_title("Centre of gravity of CO₂ emissions and standard deviational ellipse per year")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="ellipse")
    ax.set_axis_off()
    map_furniture(ax, units.crs)
    if len(centres) >= 2:
        _trajectory_inset(ax, centres, cmap)
    finish(fig, out_png=out_png)


def _trajectory_inset(ax, centres: pd.DataFrame, cmap) -> None:
    """The yearly centres, which a whole-region map draws on top of one another, enlarged in an
    inset: an arrow per step labelled with its shift in km (``shift_m``, map metres of the
    run's equal-area grid), the years at the points; the inset's area framed on the map."""
    x, y = centres["cx"].to_numpy(float), centres["cy"].to_numpy(float)
    span = max(np.ptp(x), np.ptp(y), 1.0)
    pad = 0.25 * span
    inset = ax.inset_axes([0.64, 0.02, 0.34, 0.34])
    inset.set_xlim(x.min() - pad, x.min() + span + pad)
    inset.set_ylim(y.min() - pad, y.min() + span + pad)
    inset.set_aspect("equal")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_facecolor("white")
    for k in range(1, len(centres)):
        inset.annotate("", xy=(x[k], y[k]), xytext=(x[k - 1], y[k - 1]),
                       arrowprops={"arrowstyle": "-|>", "color": cmap(k), "lw": 1.2})  # fmt: skip
        shift = centres["shift_m"].iloc[k] if "shift_m" in centres else np.hypot(x[k] - x[k - 1], y[k] - y[k - 1])
        inset.annotate(f"{shift / 1000:.1f} km", ((x[k] + x[k - 1]) / 2, (y[k] + y[k - 1]) / 2), fontsize=6,
                       color="0.2", xytext=(3, -8), textcoords="offset points")  # fmt: skip
    for k, year in enumerate(centres["year"]):
        inset.plot(x[k], y[k], "o", color=cmap(k), ms=4)
        inset.annotate(str(year), (x[k], y[k]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    inset.set_title("shift per year", fontsize=7)
    ax.indicate_inset_zoom(inset, edgecolor="0.3")


def hotspot_map(z: np.ndarray, extent, units, out_png, title: str) -> None:
    """Gi* confidence classes of a grid with the units' outlines."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    from carbonbalance.plots.maps import NO_DATA, display_shapes
    from carbonbalance.spatial.hotspots import confidence_index

    shapes = display_shapes(units, (extent[1] - extent[0]) / 1500)

    plt = pyplot()
    # classes at about the figure's pixel resolution (every k-th cell): a national grid drawn
    # whole would hold gigabytes of colour arrays for the ~1,100 pixels the axes have
    k = max(1, int(np.ceil(max(z.shape) / 2000)))
    idx = np.ma.masked_less(confidence_index(z[k // 2 :: k, k // 2 :: k]), 0)
    fig, ax = plt.subplots(figsize=(7.5, 6), constrained_layout=True)
    # no data in its own grey inside the units (the axes' face is hidden with the axis from
    # matplotlib 3.11 on, so it cannot carry it); nothing outside them
    im = ax.imshow(
        idx,
        extent=extent,
        cmap=ListedColormap(HOTSPOT_COLOURS).with_extremes(bad=NO_DATA),
        norm=BoundaryNorm(np.arange(-0.5, 7.5), 7),
        interpolation="nearest",
    )
    im.set_clip_path(shapes.region, transform=ax.transData)
    shapes.units.boundary.plot(ax=ax, color="0.3", linewidth=outline_width(len(units)))
    cb = fig.colorbar(im, ax=ax, ticks=range(7), shrink=0.8)
    cb.ax.set_yticklabels([c if c != "ns" else "not significant" for c in HOTSPOT_CLASSES])
    ax.set_title(title)
    ax.set_axis_off()
    map_furniture(ax, units.crs)
    finish(fig, out_png=out_png)
