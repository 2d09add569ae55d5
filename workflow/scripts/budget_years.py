"""Small multiples of one budget column by year on one shared scale (rule budget_years)."""

from _helpers import setup, timed

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output
from carbonbalance.plots.budget import year_panels

sm = snakemake
budget = pd.read_parquet(sm.input.budget)
units = gpd.read_file(sm.input.units)
with timed(log, f"{sm.wildcards.variable} by {sm.params.level}"), atomic_output(sm.output[0]) as tmp:
    year_panels(units, budget, sm.wildcards.variable, tmp, sm.params.level_id, sm.params.outline, sm.params.level)
