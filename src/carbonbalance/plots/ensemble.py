"""Figures of an ensemble (SPEC §9): how sure each unit's zone and balance are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.plots.base import finish, pyplot
from carbonbalance.plots.labels import label, zone_title
from carbonbalance.plots.maps import choropleth_panels

#: classes of zone agreement (share of members in the baseline's zone), upper bound and colour:
#: unstable zones stand out in warm colours, stable ones recede in blues
AGREEMENT_CLASSES = (
    (0.5, "under 50 %", "#d7301f"),
    (0.7, "50 – 70 %", "#fc8d59"),
    (0.9, "70 – 90 %", "#fdd49e"),
    (1.0 - 1e-12, "90 – <100 %", "#9ecae1"),
    (1.0, "100 %", "#2171b5"),
)


def agreement_class(share) -> list:
    """The class name of each agreement share (None for no value)."""
    out = []
    for v in np.asarray(share, dtype=float):
        if not np.isfinite(v):
            out.append(None)
            continue
        out.append(next(name for top, name, _ in AGREEMENT_CLASSES if v <= top))
    return out


def stability_map(units, stability: pd.DataFrame, level_id: str, year: int, outline_column=None, out_png=None):
    """One map per zoning scheme of the share of members that put each unit in its baseline
    zone in ``year`` (classes of :data:`AGREEMENT_CLASSES`)."""
    part = stability[stability["year"] == year]
    schemes = list(dict.fromkeys(part["scheme"]))
    shapes = units.copy()
    panels = []
    for scheme in schemes:
        s = part[part["scheme"] == scheme].set_index("unit_id")["agreement"]
        col = f"agreement_{scheme}"
        shapes[col] = agreement_class(shapes[level_id].astype(str).map(s))
        panels.append({"column": col, "title": f"{zone_title(scheme)}, {year}",
                       "classes": [(name, colour) for _, name, colour in AGREEMENT_CLASSES]})  # fmt: skip
    members = int(part["members"].max()) if len(part) else 0
    title = f"Zone stability: {label('agreement', with_units=False)} ({members} members)"
    return choropleth_panels(shapes, panels, outline_column=outline_column, title=title, out_png=out_png)


def cbi_intervals(intervals: pd.DataFrame, year: int, percentiles=(5, 95), level: str = "", out_png=None):
    """CBI of every unit in ``year``: the members' interval (lower to upper percentile), median
    and the baseline, units sorted by the baseline; CBI = 1 dashed. Intervals wholly below 1
    (sink in every member) green, wholly above (source) brown, across 1 grey."""
    lo, hi = (f"cbi_p{float(p):g}" for p in percentiles)
    t = intervals[intervals["year"] == year].dropna(subset=["cbi_baseline"]).sort_values("cbi_baseline")
    t = t.reset_index(drop=True)
    n = len(t)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.0, max(3.5, min(0.18 * n + 1.5, 14.0))), layout="constrained")
    sink, source = t[hi] < 1.0, t[lo] > 1.0
    colour = np.where(sink, "#1a9850", np.where(source, "#8c510a", "0.55"))
    pos = np.arange(n)
    ax.hlines(pos, t[lo], t[hi], colors=colour, linewidth=2.2 if n <= 80 else 1.0)
    ax.plot(t["cbi_median"], pos, "|", color="black", markersize=7, label="median of the members")
    ax.plot(t["cbi_baseline"], pos, "o", color="black", markersize=3, label="baseline")
    ax.axvline(1.0, color="0.2", linestyle="--", linewidth=1)
    values = np.concatenate([t[lo].to_numpy(), t[hi].to_numpy()])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() / values.min() > 50:
        ax.set_xscale("log")
    if n <= 60:
        names = t["name"].astype(str) if "name" in t.columns else t["unit_id"].astype(str)
        ax.set_yticks(pos, names, fontsize=7)
    else:
        ax.set_ylabel(f"units ranked by the baseline's CBI ({n})")
        ax.set_yticks([])
    ax.set_ylim(-1, n)
    ax.set_xlabel(label("cbi"))
    from matplotlib.lines import Line2D

    handles, _ = ax.get_legend_handles_labels()
    rng = f"{percentiles[0]:g}th–{percentiles[1]:g}th percentile"
    handles += [
        Line2D([], [], color="#1a9850", linewidth=2.2, label=f"sink in the whole {rng} range"),
        Line2D([], [], color="#8c510a", linewidth=2.2, label=f"source in the whole {rng} range"),
        Line2D([], [], color="0.55", linewidth=2.2, label="range crosses CBI = 1"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    counts = f"{int(sink.sum())} sinks, {int(source.sum())} sources, {int(n - sink.sum() - source.sum())} uncertain"
    ax.set_title(f"CBI per {level or 'unit'}, {year}: {percentiles[0]:g}th–{percentiles[1]:g}th percentiles ({counts})")
    return finish(fig, None, out_png)
