"""Figures of what the run checked: each input's distribution statistic against its plausible
range and its share of the region without data against the limit (from run_metadata.json)."""

from __future__ import annotations

import textwrap

import numpy as np

from carbonbalance.plots.base import finish, pyplot
from carbonbalance.plots.labels import LABELS, label, pretty_units, title


def _checks(meta: dict) -> dict:
    """variable -> {statistic, units, range, years: {year: value}, nodata: {year: share}, limit}."""
    out: dict = {}
    for key, rec in sorted(meta.get("stages", {}).get("align", {}).items()):
        var = rec.get("variable", key.split("/")[0])
        empty = {"units": rec.get("units", ""), "years": {}, "nodata": {}, "limit": rec.get("max_nodata_share"),
                 "statistic": None, "range": None}  # fmt: skip
        item = out.setdefault(var, empty)
        dist = rec.get("distribution_check") or {}
        year = int(rec.get("year", key.split("/")[-1]))
        if dist:
            item["statistic"], item["range"] = dist.get("statistic"), dist.get("plausible_range")
            item["years"][year] = dist.get("value")
        cells = rec.get("region_cells") or 0
        without = rec.get("region_cells_without_data") or [0]
        item["nodata"][year] = max(without) / cells if cells else np.nan
    return out


def input_checks(meta: dict, out_png=None):
    """One panel per raster input with a distribution check: its statistic per year (dots)
    inside the plausible range (grey band); and one panel of the largest monthly share of the
    region's cells without data per input and year against each input's limit."""
    plt = pyplot()
    checks = _checks(meta)
    checked = [v for v, c in checks.items() if c["range"]]
    n = len(checked) + 1
    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), constrained_layout=True, squeeze=False)
    for ax, var in zip(axes.flat, checked):
        c = checks[var]
        lo, hi = c["range"]
        years = sorted(c["years"])
        ax.axvspan(lo, hi, color="0.88", label="plausible range")
        ax.plot([c["years"][y] for y in years], range(len(years)), "o", color="#2c7bb6", label="this run")
        ax.set_yticks(range(len(years)), [str(y) for y in years])
        pad = 0.15 * (hi - lo)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(-0.8, len(years) - 0.2)
        ax.set_title(title(var) if var in LABELS else var, fontsize=10)
        # the statistic names its own units (the stores' are monthly, the statistics annual)
        ax.set_xlabel(textwrap.fill(pretty_units(str(c["statistic"])), 48), fontsize=7)
    ax = axes.flat[len(checked)]
    names = list(checks)
    width = 0.8 / max(1, max(len(c["nodata"]) for c in checks.values()))
    for k, var in enumerate(names):
        c = checks[var]
        for j, year in enumerate(sorted(c["nodata"])):
            ax.bar(k + j * width, c["nodata"][year], width=width, color="#fdae61")
        if c["limit"] is not None:
            ax.hlines(c["limit"], k - width / 2, k + width * (len(c["nodata"]) - 0.5), color="black", lw=1)
    shown = [label(v, with_units=False) if v in LABELS else v for v in names]
    ax.set_xticks(range(len(names)), shown, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("share of the region's cells")
    ax.set_title("Largest monthly share without data\n(bars: years; line: the limit)", fontsize=9)
    for extra in list(axes.flat)[n:]:
        extra.set_visible(False)
    if checked:
        axes.flat[0].legend(fontsize=7, loc="lower right")
    return finish(fig, "Input checks: where each input lies in its plausible range", out_png)
