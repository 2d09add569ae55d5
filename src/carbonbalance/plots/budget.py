"""Figures of the budget tables (SPEC §6): time series of the region and its groups, small
multiples of the years on one shared scale, LMDI effects per period, the compensation map.

Maps here draw the units as one collection of paths built once per figure (simplified to
about a pixel) and recoloured per panel, so that 2,870 counties times six years stay within
seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.plots.base import finish, map_furniture, outline_width, pyplot, year_axis
from carbonbalance.plots.labels import LABELS, label, pretty_units, readable_scale, title, zone_title
from carbonbalance.plots.maps import (
    NO_DATA,
    display_shapes,
    diverging_norm,
    panel_classes,
    unit_paths,
    zone_colours,
    zone_order,
)

#: the most years a figure of small multiples shows: the first, the last and evenly spaced
#: ones between (a paper's panel of 2000, 2005, ... 2020); every year up to this many
MAX_YEAR_PANELS = 6

#: groups drawn in colour in a line figure of one line per group; the others thin and grey
MAX_COLOURED_GROUPS = 8

#: the indices whose threshold is 1 (sink or source; above or below the region's share), with
#: the palette centred there that every map of them uses
THRESHOLD_ONE = {"cbi": "RdYlGn_r", "ecc": "PuOr_r", "esc": "BrBG"}

#: compensation classes by meaning: payers brown to orange, receivers green
COMPENSATION_COLOURS = {"high payer": "#8c510a", "low payer": "#f6c768", "receiver": "#1a9850"}


def panel_years(years, most: int = MAX_YEAR_PANELS) -> list[int]:
    """The years a figure of small multiples shows: all of them up to ``most``, else the first,
    the last and evenly spaced ones between."""
    ys = sorted({int(y) for y in years})
    if len(ys) <= most:
        return ys
    picks = np.unique(np.round(np.linspace(0, len(ys) - 1, most)).astype(int))
    return [ys[i] for i in picks]


def _draw_units(ax, paths, facecolors, n_units: int, groups=None) -> None:
    from matplotlib.collections import PathCollection

    # past a thousand units (China's counties) in a panel a few inches wide, the units' edges
    # would blacken the dense east: the fills and the groups' outlines carry the map
    width = outline_width(n_units) if n_units <= 1000 else 0.0
    ax.add_collection(PathCollection(paths, facecolors=facecolors, edgecolors="0.4", linewidths=width), autolim=False)
    for outline in (groups or {}).values():
        outline.plot(ax=ax, color="black", linewidth=0.9)


def prepare_units(units, outline=None):
    """(display shapes with the ``outline`` groups dissolved, one path per unit): what every
    map of these units draws, made once."""
    shapes = display_shapes(units, group_columns=[outline] if outline else [])
    return shapes, unit_paths(shapes.units)


def _shared_classes(column: str, values: np.ndarray):
    """(face colour of each of ``values``, legend handles or None, a ScalarMappable or None):
    one scale for every panel of ``column``. Zones by meaning and CBI, ECC and ESC in classes
    broken at 1 come from :func:`carbonbalance.plots.maps.panel_classes` on the pooled values
    (as the one-year maps classify them); other columns get a continuous scale, diverging at 0
    when the values take both signs."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch

    if column.startswith("zone_") or column in THRESHOLD_ONE:
        zones = column.startswith("zone_")
        p = {"zones": True} if zones else {"threshold": 1.0, "k": 6, "cmap": THRESHOLD_ONE[column]}
        classes, names, colours = panel_classes(pd.Series(values, dtype=object if zones else float), p)
        colour_of = dict(zip(names, colours))
        faces = [colour_of[c] if c is not None else NO_DATA for c in classes]
        return faces, [Patch(color=c, label=n) for n, c in zip(names, colours)], None
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    lo, hi = np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0)
    if lo < 0 < hi:  # both signs: diverging at zero (CB: sink blue, source red)
        norm, cmap = diverging_norm(finite), colormaps["RdBu_r"]
    else:
        sequential = colormaps["YlOrRd" if column.startswith("ce_") else "YlGn"]
        norm, cmap = Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1), sequential
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    rgba = mappable.to_rgba(np.where(np.isfinite(v), v, 0.0))
    return [tuple(c) if np.isfinite(x) else NO_DATA for c, x in zip(rgba, v)], None, mappable


def year_panels(units, budget: pd.DataFrame, column: str, out_png, unit_id: str, outline=None, level: str = "",
                prepared=None):  # fmt: skip
    """Small multiples of ``column`` by year (:func:`panel_years`) on one scale shared by every
    panel: CBI, ECC and ESC in classes broken at 1 from the values of all years shown, zones
    in the colours of their meaning, CE, CS and CB on one continuous scale (CB diverging at
    zero); a single legend or colour bar; units without a value in :data:`NO_DATA`.

    prepared : (shapes, paths) of :func:`prepare_units`, to draw several columns from one
               simplification of ``units`` (None: prepared here)."""
    plt = pyplot()
    years = panel_years(budget["year"].unique())
    shapes, paths = prepared if prepared is not None else prepare_units(units, outline)
    ids = shapes.units[unit_id].astype(str).to_numpy()
    table = budget.assign(unit_id=budget["unit_id"].astype(str)).set_index(["year", "unit_id"])[column]
    per_year = {y: table.xs(y, level="year").reindex(ids).to_numpy() for y in years}
    pooled = np.concatenate(list(per_year.values()))
    faces, handles, mappable = _shared_classes(column, pooled)
    factor, units_shown = 1.0, ""
    if mappable is not None and column in LABELS:
        factor, units_shown = readable_scale(pooled[np.isfinite(pooled.astype(float))], LABELS[column][1])
    ncols = min(len(years), 3)
    nrows = -(-len(years) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols + 2.2, 4.0 * nrows), constrained_layout=True,
                             squeeze=False)  # fmt: skip
    x0, y0, x1, y1 = shapes.units.total_bounds
    for k, (ax, year) in enumerate(zip(axes.flat, years)):  # the pooled faces, year after year
        _draw_units(ax, paths, faces[k * len(ids) : (k + 1) * len(ids)], len(ids), shapes.groups)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(str(year))
        map_furniture(ax, shapes.units.crs, note=ax is axes.flat[len(years) - 1])
    for ax in list(axes.flat)[len(years) :]:
        ax.set_visible(False)
    if handles is not None:
        from matplotlib.patches import Patch

        if np.any([x is None or (isinstance(x, float) and np.isnan(x)) for x in pooled]):
            handles = handles + [Patch(color=NO_DATA, label="no data")]
        fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False,
                   title=label(column, with_units=False) if column in LABELS else None, title_fontsize=8)  # fmt: skip
    else:
        from matplotlib.cm import ScalarMappable

        shown = ScalarMappable(norm=type(mappable.norm)(**_scaled_norm(mappable.norm, factor)), cmap=mappable.cmap)
        cb = fig.colorbar(shown, ax=axes, shrink=0.6, extend="both")
        cb.set_label(f"{label(column, with_units=False)} ({pretty_units(units_shown)})")
    name = zone_title(column.removeprefix("zone_")) if column.startswith("zone_") else title(column)
    return finish(fig, f"{name} by {level}, one scale for every year" if level else name, out_png)


def _scaled_norm(norm, factor: float) -> dict:
    """The keywords of ``norm`` (Normalize or TwoSlopeNorm) with its limits divided by ``factor``."""
    kw = {"vmin": norm.vmin / factor, "vmax": norm.vmax / factor}
    if hasattr(norm, "vcenter"):
        kw["vcenter"] = norm.vcenter / factor
    return kw


def group_table(budget: pd.DataFrame, group_column: str, suffix: str = "tco2") -> pd.DataFrame:
    """CE, CS, CB, CBI, ECC and ESC of each group of units per year (the groups' sums, their
    indices relative to all groups together, as the budget stage computes them for a level);
    ``suffix`` of the mass columns (``tco2`` or ``tc``)."""
    from carbonbalance.budget.indices import balance_indices

    ce, cs = f"ce_{suffix}", f"cs_{suffix}"
    sums = (
        budget.groupby([group_column, "year"])[[ce, cs, "gdp_1e4yuan"]]
        .sum(min_count=1)
        .reset_index()
        .rename(columns={group_column: "unit_id"})
    )
    return balance_indices(sums, ce=ce, cs=cs, source="group figure")


def trends(budget: pd.DataFrame, group_column: str, out_png, group_names=None, scheme: str | None = None,
           level: str = "", suffix: str = "tco2"):  # fmt: skip
    """Time series: the region's CE, CS and CB; CE, CS and CB of each group; CBI, ECC and ESC of
    each group with the threshold 1; with ``scheme``, the number of units per zone.  Past
    :data:`MAX_COLOURED_GROUPS` groups, the largest by CE in colour and the others grey."""
    plt = pyplot()
    names = {str(k): v for k, v in (group_names or {}).items()}
    ce, cs, cb = (f"{q}_{suffix}" for q in ("ce", "cs", "cb"))
    region = budget.groupby("year")[[ce, cs]].sum(min_count=1)
    region[cb] = region[ce] - region[cs]
    groups = group_table(budget, group_column, suffix)
    groups["unit_id"] = groups["unit_id"].astype(str)
    factor, mass = readable_scale(region.to_numpy(), LABELS[ce][1])
    fig, axes = plt.subplots(2, 4, figsize=(19, 8.5), constrained_layout=True)
    ax = axes[0, 0]
    for col, colour in ((ce, "#d73027"), (cs, "#1a9850"), (cb, "black")):
        ax.plot(region.index, region[col] / factor, marker="o", ms=3, color=colour, label=label(col, with_units=False))
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_title("The whole region", fontsize=10)
    ax.set_ylabel(pretty_units(mass))
    ax.legend(fontsize=7)
    size = groups.groupby("unit_id")[ce].mean().sort_values(ascending=False)
    coloured = list(size.index[:MAX_COLOURED_GROUPS])
    colours = dict(zip(coloured, plt.get_cmap("tab10").colors))
    panels = [(axes[0, 1], ce), (axes[0, 2], cs), (axes[0, 3], cb),
              (axes[1, 0], "cbi"), (axes[1, 1], "ecc"), (axes[1, 2], "esc")]  # fmt: skip
    for ax, col in panels:
        scale = factor if col.endswith(f"_{suffix}") else 1.0
        for gid, part in groups.sort_values("year").groupby("unit_id"):
            if gid in colours:
                ax.plot(part["year"], part[col] / scale, marker="o", ms=3, color=colours[gid],
                        label=names.get(gid, gid))  # fmt: skip
            else:
                ax.plot(part["year"], part[col] / scale, color="0.75", lw=0.6, zorder=0)
        if col in THRESHOLD_ONE:
            ax.axhline(1.0, color="black", lw=0.8, ls="--")
            ax.set_ylabel(label(col, with_units=False))
        else:
            ax.axhline(0, color="0.6", lw=0.6)
            ax.set_ylabel(pretty_units(mass))
        ax.set_title(f"{title(col)} by group", fontsize=10)
    handles, labels_ = axes[0, 1].get_legend_handles_labels()
    if len(size) > len(coloured):
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="0.75", lw=0.6))
        labels_.append(f"{len(size) - len(coloured)} smaller groups")
    outside = {"fontsize": 7, "loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "frameon": False}
    axes[0, 3].legend(handles, labels_, title=group_column.removesuffix("_id"), **outside)
    ax = axes[1, 3]
    if scheme and f"zone_{scheme}" in budget:
        counts = budget.groupby(["year", f"zone_{scheme}"]).size().unstack(fill_value=0)
        order = zone_order(counts.columns)
        zc = zone_colours(order)
        ax.stackplot(counts.index, *(counts[n] for n in order), colors=[zc[n] for n in order], labels=order)
        ax.set_title(f"Units per zone ({scheme})", fontsize=10)
        ax.set_ylabel("units")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    else:
        ax.set_visible(False)
    for ax in axes.flat:
        if ax.get_visible():
            year_axis(ax, budget["year"])
            ax.tick_params(axis="x", labelrotation=45 if budget["year"].nunique() > 6 else 0)
    name = f"Carbon budget and balance indices by {level}" if level else "Carbon budget and balance indices"
    return finish(fig, f"{name}, {int(budget['year'].min())}–{int(budget['year'].max())}", out_png)


#: the LMDI effects of Q = C/N (Peng2023) in the order of the identity, with their colours
LMDI_EFFECTS = {
    "technology_effect": "#4575b4",
    "economic_level_effect": "#d73027",
    "urbanisation_effect": "#fdae61",
    "fixation_pressure_effect": "#1a9850",
}

#: most units a figure shows one bar each; more are summarised as box plots per effect
MAX_UNIT_BARS = 40


def lmdi_bars(lmdi: pd.DataFrame, out_png, level: str = "", names=None):
    """The LMDI decomposition of ΔQ per period: the whole region's effects as bars with ΔQ as a
    marker, and per unit stacked bars (up to :data:`MAX_UNIT_BARS` units, sorted by ΔQ) or,
    for more units, box plots of each effect over the units."""
    plt = pyplot()
    periods = lmdi[["year_0", "year_t"]].drop_duplicates().sort_values(["year_0", "year_t"])
    region = lmdi[lmdi["unit_id"].astype(str) == "region"]
    units = lmdi[lmdi["unit_id"].astype(str) != "region"]
    fig, axes = plt.subplots(len(periods), 2, figsize=(15, 4.2 * len(periods)), constrained_layout=True, squeeze=False,
                             width_ratios=[1, 2.6])  # fmt: skip
    effects = list(LMDI_EFFECTS)
    for row, (t0, t1) in zip(axes, periods.itertuples(index=False)):
        ax = row[0]
        r = region[(region["year_0"] == t0) & (region["year_t"] == t1)]
        if len(r):
            vals = [float(r[e].iloc[0]) for e in effects]
            ax.bar(range(len(effects)), vals, color=[LMDI_EFFECTS[e] for e in effects])
            ax.axhline(float(r["dq"].iloc[0]), color="black", ls="--", lw=1, label=f"ΔQ = {float(r['dq'].iloc[0]):.3g}")
            ax.legend(fontsize=7)
        ax.set_xticks(range(len(effects)), [label(e, with_units=False) for e in effects], rotation=30, ha="right",
                      fontsize=8)  # fmt: skip
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_ylabel("contribution to ΔQ")
        ax.set_title(f"Whole region, {t0}–{t1}", fontsize=10)
        ax = row[1]
        part = units[(units["year_0"] == t0) & (units["year_t"] == t1)].dropna(subset=["dq"]).sort_values("dq")
        if len(part) <= MAX_UNIT_BARS:
            x = np.arange(len(part))
            pos, neg = np.zeros(len(part)), np.zeros(len(part))
            for e in effects:
                v = part[e].to_numpy(dtype=float)
                base = np.where(v >= 0, pos, neg)
                ax.bar(x, v, bottom=base, color=LMDI_EFFECTS[e], label=label(e, with_units=False), width=0.8)
                pos, neg = np.where(v >= 0, pos + v, pos), np.where(v < 0, neg + v, neg)
            ax.plot(x, part["dq"], "D", color="black", ms=3, label="ΔQ")
            size = np.abs(part[effects].to_numpy(dtype=float))
            size = size[np.isfinite(size) & (size > 0)]
            if size.size and size.max() > 50 * np.median(size):  # a few units' Q dwarfs the rest
                ax.set_yscale("symlog", linthresh=float(np.median(size)))
                ax.set_ylabel("contribution to ΔQ (symmetric log scale)")
            shown = [
                str((names or {}).get(str(u), n))
                for u, n in zip(part["unit_id"].astype(str), part.get("name", part["unit_id"]))
            ]
            ax.set_xticks(x, shown, rotation=90, fontsize=6)
        else:
            ax.boxplot([part[e].dropna() for e in effects], showfliers=False)
            ax.set_xticks(range(1, len(effects) + 1), [label(e, with_units=False) for e in effects], fontsize=8)
        ax.axhline(0, color="0.5", lw=0.6)
        if ax.get_yscale() == "linear":
            ax.set_ylabel("contribution to ΔQ")
        how = "sorted by ΔQ" if len(part) <= MAX_UNIT_BARS else f"{len(part)} units as box plots without outliers"
        ax.set_title(f"Each {level or 'unit'}, {t0}–{t1} ({how})", fontsize=10)
        if len(part) <= MAX_UNIT_BARS:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    name = f"LMDI decomposition of the {label('q')}"
    return finish(fig, f"{name} by {level}" if level else name, out_png)


def compensation_map(units, compensation: pd.DataFrame, unit_id: str, out_png, outline=None, level: str = ""):
    """The last year's compensation: classes (payers brown to orange, receivers green) and the
    amount M (10⁴ yuan; diverging at zero: payers red, receivers blue)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.patches import Patch

    plt = pyplot()
    year = int(compensation["year"].max())
    part = compensation[compensation["year"] == year].assign(unit_id=lambda d: d["unit_id"].astype(str))
    part = part.set_index("unit_id")
    shapes = display_shapes(units, group_columns=[outline] if outline else [])
    paths = unit_paths(shapes.units)
    ids = shapes.units[unit_id].astype(str).to_numpy()
    classes = part["class"].reindex(ids)
    m = part["m_1e4yuan"].reindex(ids).to_numpy(dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(13.5, 5.4), constrained_layout=True)
    colours = [COMPENSATION_COLOURS.get(c, NO_DATA) if isinstance(c, str) else NO_DATA for c in classes]
    x0, y0, x1, y1 = shapes.units.total_bounds
    _draw_units(axes[0], paths, colours, len(ids), shapes.groups)
    present = [c for c in COMPENSATION_COLOURS if (classes == c).any()]
    handles = [Patch(color=COMPENSATION_COLOURS[c], label=c) for c in present]
    if (~classes.isin(present)).any():
        handles.append(Patch(color=NO_DATA, label="not computed / no data"))
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axes[0].set_title(f"Compensation class, {year}")
    mappable = ScalarMappable(norm=diverging_norm(m), cmap="RdBu_r")
    rgba = [tuple(c) if np.isfinite(v) else NO_DATA for c, v in zip(mappable.to_rgba(np.nan_to_num(m)), m)]
    _draw_units(axes[1], paths, rgba, len(ids), shapes.groups)
    cb = fig.colorbar(mappable, ax=axes[1], shrink=0.8, extend="both")
    cb.set_label(label("m_1e4yuan"))
    axes[1].set_title(f"{title('m_1e4yuan')}, {year}")
    for ax in axes:
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_axis_off()
        map_furniture(ax, shapes.units.crs, note=ax is axes[-1])
    return finish(fig, f"Carbon compensation by {level} (payers pay, receivers are paid)" if level else None, out_png)
