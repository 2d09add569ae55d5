"""Small multiples of the budget columns by year, each on one shared scale (rule budget_years)."""

from _helpers import setup, timed

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output
from carbonbalance.plots.budget import prepare_units, year_panels

sm = snakemake
budget = pd.read_parquet(sm.input.budget)
units = gpd.read_file(sm.input.units)
with timed(log, "units simplified, groups dissolved and paths built"):
    prepared = prepare_units(units, sm.params.outline)
for variable, path in sm.output.items():
    with timed(log, f"{variable} by {sm.params.level}"), atomic_output(path) as tmp:
        year_panels(units, budget, variable, tmp, sm.params.level_id, sm.params.outline, sm.params.level, prepared)
