"""Time series, LMDI and compensation figures of one level (rule budget_figures)."""

from _helpers import setup, timed

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.budget.params import mass_suffix
from carbonbalance.core.store import atomic_output
from carbonbalance.ingest.boundaries import level_units
from carbonbalance.plots.budget import compensation_map, lmdi_bars, trends
from carbonbalance.plots.maps import display_shapes
from carbonbalance.plots.report import budget_page, compensation_page, lmdi_page

sm = snakemake
level, lid, outline = sm.wildcards.level, sm.params.level_id, sm.params.outline
group, name_col = sm.params.group_column, sm.params.group_name_column
budget = pd.read_parquet(sm.input.budget)
finest = gpd.read_file(sm.input.units)
if group in finest.columns and group not in budget.columns:  # a group column of the boundaries (region3)
    first = finest.drop_duplicates(lid)
    budget[group] = budget["unit_id"].astype(str).map(dict(zip(first[lid].astype(str), first[group])))
names = None
if name_col and name_col in finest.columns:
    pairs = finest.drop_duplicates(group)
    names = dict(zip(pairs[group].astype(str), pairs[name_col].astype(str)))
units = (
    finest.assign(unit_id=finest[lid].astype(str))
    if lid == sm.params.finest_id
    # the counties simplified for display first: dissolving them at full detail takes seconds
    else level_units(display_shapes(finest).units, lid, [outline])
)


def draw(what, figure, path):
    with timed(log, f"{what} of the {level} level"), atomic_output(path) as tmp:
        figure(tmp)


suffix = mass_suffix(sm.params.mass_unit)
draw("time series", lambda p: trends(budget, group, p, names, sm.params.scheme, level, suffix), sm.output.trends)
unit_names = dict(zip(budget["unit_id"].astype(str), budget["name"].astype(str))) if "name" in budget else None
lmdi = pd.read_csv(sm.input.lmdi)
draw("LMDI bars", lambda p: lmdi_bars(lmdi, p, level, unit_names), sm.output.lmdi)
compensation = pd.read_csv(sm.input.compensation)
draw(
    "compensation map",
    lambda p: compensation_map(units, compensation, "unit_id", p, outline if outline != lid else None, level),
    sm.output.compensation,
)
for name, page in (
    ("budget", budget_page(budget, level, suffix)),
    ("compensation", compensation_page(compensation, level)),
    ("lmdi", lmdi_page(lmdi, level)),
):
    with atomic_output(sm.output[f"{name}_table"]) as tmp:
        open(tmp, "w", encoding="utf-8").write(page)
