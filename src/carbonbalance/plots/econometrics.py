"""Figures of the econometrics stage: the SDM effects with their intervals, MGWR maps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.plots.base import finish, pyplot
from carbonbalance.plots.labels import expression_label
from carbonbalance.plots.maps import choropleth_panels, display_shapes


def effects_forest(effects: pd.DataFrame, robustness: pd.DataFrame, title: str, out_png) -> None:
    """Direct, indirect and total effects per covariate with 95 % intervals, main run first
    and each robustness run below it (one panel per effect)."""
    plt = pyplot()
    runs = [("main", effects.assign(run="main"))]
    runs += [(r, g) for r, g in robustness.groupby("run", sort=False)] if len(robustness) else []
    covs = list(effects["covariate"])
    y = str(effects["y"].iloc[0]) if "y" in effects and len(effects) else None
    dependent = expression_label(y) if y else "the dependent variable"
    fig, axes = plt.subplots(
        1, 3, figsize=(13, 0.9 + 0.55 * len(covs) * max(1, len(runs)) ** 0.5), sharey=True, constrained_layout=True
    )
    colours = plt.get_cmap("tab10")
    step = 0.7 / max(len(runs), 1)
    for ax, label in zip(axes, ("direct", "indirect", "total")):
        for k, (run, table) in enumerate(runs):
            t = table.set_index("covariate").reindex(covs)
            pos = np.arange(len(covs)) + k * step
            ax.errorbar(
                t[label], pos, xerr=1.96 * t[f"{label}_se"], fmt="o", ms=4, capsize=2, color=colours(k),
                label=expression_label(run) if run != "main" else "main",
            )  # fmt: skip
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_title(f"{label} effect")
        ax.set_xlabel(f"effect on {dependent} (95 % interval)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(np.arange(len(covs)) + step * (len(runs) - 1) / 2, [expression_label(c) for c in covs])
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="run")
    fig.suptitle(title)
    finish(fig, out_png=out_png)


def mgwr_maps(units, local: pd.DataFrame, summary: pd.DataFrame, title: str, out_png) -> None:
    """One map per MGWR coefficient; units whose local t is not significant (corrected
    critical value) are hatched. Panel titles give the covariate's bandwidth."""
    names = list(summary["covariate"])
    data = units[["unit_id", "geometry"]].merge(local, on="unit_id", how="left")
    data = display_shapes(data).units  # the maps and their hatching share it
    bw = summary.set_index("covariate")["bandwidth"]
    # classes broken at 0 on a palette centred there: a one-signed coefficient gets one side
    panels = [
        {
            "column": n,
            "title": f"{expression_label(n)}\nbandwidth {bw[n]:g}",
            "cmap": "RdBu_r",
            "k": 6,
            "threshold": 0.0,
            "fmt": "{:.3g}",
        }  # fmt: skip
        for n in names
    ]
    fig = choropleth_panels(data, panels, title=title, out_png=None)
    for ax, n in zip(fig.axes[: len(names)], names):
        ns = data[~data[f"{n}_significant"].astype(bool)]
        if len(ns):
            ns.plot(ax=ax, facecolor="none", edgecolor="0.25", hatch="///", linewidth=0)
    finish(fig, out_png=out_png)
