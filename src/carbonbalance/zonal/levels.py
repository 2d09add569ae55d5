"""Tables of every level from the finest units' sums, so that the levels nest exactly
(Σ counties = city = province = region)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.errors import InputError


def aggregate_levels(
    finest: pd.DataFrame,
    units: pd.DataFrame,
    levels: list,
    sum_columns: list[str],
    mean_columns: dict | None = None,
    region_name: str = "region",
) -> dict:
    """Tables per level from the finest units' sums (so that levels nest exactly).

    finest : one row per finest unit (``unit_id``) and ``year`` with ``sum_columns``
    units : units.parquet (unit_id, level, name, parent id columns)
    levels : [(level name, id column)] finest first; a last ``region`` level (all units)
             is added
    mean_columns : {mean column: (sum column, count column)} recomputed per level
    """
    mean_columns = mean_columns or {}
    finest_name, finest_id = levels[0]
    table = units[units["level"] == finest_name].set_index("unit_id")
    parents = [c for _, c in levels[1:]]
    base = finest.join(table[parents], on="unit_id")
    missing = base[parents].isna().any(axis=1) if parents else pd.Series(False, index=base.index)
    if missing.any():
        raise InputError(f"zonal: finest unit(s) {sorted(set(base.loc[missing, 'unit_id']))[:10]} have no parents")
    base["region_id"] = region_name
    out = {}
    for name, id_col in list(levels) + [(region_name, "region_id")]:
        key = "unit_id" if name == finest_name else id_col
        g = base.groupby([key, "year"], sort=True)[sum_columns].sum().reset_index().rename(columns={key: "unit_id"})
        for mcol, (scol, ccol) in mean_columns.items():
            with np.errstate(invalid="ignore", divide="ignore"):
                g[mcol] = np.where(g[ccol] > 0, g[scol] / g[ccol], np.nan)
        info = units[units["level"] == name].drop(columns=["level"]).dropna(axis=1, how="all")
        g = info.merge(g, on="unit_id", how="right") if len(info) else g.assign(name=region_name)
        g.insert(1, "level", name)
        out[name] = g
    return out
