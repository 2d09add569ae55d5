"""Maps of zones, CBI, ECC and ESC of the finest level for one year (rule budget_map)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output
from carbonbalance.plots.budget import THRESHOLD_ONE
from carbonbalance.plots.labels import title, zone_title
from carbonbalance.plots.maps import choropleth_panels

sm = snakemake
year = int(sm.wildcards.year)
budget = pd.read_parquet(sm.input.budget)
budget = budget[budget["year"] == year]
units = gpd.read_file(sm.input.units)
units = units.merge(
    budget.drop(
        columns=[c for c in budget.columns if c.endswith("_id") and c != "unit_id"] + ["name"], errors="ignore"
    ),
    left_on=sm.params.level_id,
    right_on="unit_id",
    how="left",
)
scheme = sm.params.scheme
panels = [
    {"column": f"zone_{scheme}", "title": zone_title(scheme), "zones": True},
    # classes broken at 1, the threshold of each index: CBI 1 = sink or source (green below),
    # ECC and ESC 1 = above or below the region's share
    *({"column": c, "title": title(c), "cmap": cmap, "threshold": 1.0} for c, cmap in THRESHOLD_ONE.items()),
]
with atomic_output(sm.output[0]) as tmp:
    choropleth_panels(
        units,
        panels,
        outline_column=sm.params.outline,
        out_png=tmp,
        title=f"Carbon balance by {sm.params.level}, {year}",
    )
log.info("wrote %s", sm.output[0])
