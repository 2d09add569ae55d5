"""Maps of the local coefficients of one MGWR fit (rule mgwr_map)."""

from _helpers import setup, timed

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output
from carbonbalance.ingest.boundaries import level_units
from carbonbalance.plots.econometrics import mgwr_maps
from carbonbalance.plots.labels import expression_label
from carbonbalance.plots.maps import display_shapes
from carbonbalance.plots.report import mgwr_page

sm = snakemake
level, year = sm.wildcards.level, int(sm.wildcards.year)
# the units simplified for display before the dissolve (at full detail it takes seconds)
gdf = level_units(display_shapes(gpd.read_file(sm.input.units)).units, sm.params.level_id)
summary = pd.read_csv(sm.input.summary)
local = pd.read_csv(sm.input.local, dtype={"unit_id": str})
y = summary["y"].iloc[0]
standardized = bool(summary["standardized"].iloc[0])
with timed(log, "MGWR maps"), atomic_output(sm.output.figure) as tmp:
    mgwr_maps(
        gdf,
        local,
        summary,
        f"MGWR local coefficients of {expression_label(y)}, {level} {year}"
        + (" (standardised)" if standardized else "")
        + "; hatched: not significant",
        tmp,
    )
log.info("MGWR maps %s %d written", level, year)
with atomic_output(sm.output.table) as tmp:
    open(tmp, "w", encoding="utf-8").write(mgwr_page(summary, level, year))
