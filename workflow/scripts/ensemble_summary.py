"""Intervals, zone stability, sensitivity and the spread of Moran's I and the Dagum Gini of an
ensemble, with its figures and report page (rule ensemble_summary)."""

from _helpers import setup, timed

log = setup(snakemake)

import json

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.ensemble.stage import global_spread, level_summary
from carbonbalance.ingest.boundaries import level_units
from carbonbalance.plots.ensemble import cbi_intervals, stability_map
from carbonbalance.plots.report import ensemble_page

sm = snakemake
p = sm.params
members = dict(p.members)
pct = list(p.ensemble["percentiles"])
finest = gpd.read_file(sm.input.units)


def write_csv(key, table):
    with atomic_output(sm.output[key]) as tmp:
        table.to_csv(tmp, index=False)


tables = {"intervals": {}, "stability": {}, "sensitivity": {}, "spread": {}}
first, units = next(iter(p.levels)), {}
for level, id_col in p.levels.items():
    long = pd.read_parquet(sm.input[level])
    for name, table in level_summary(long, members, list(p.schemes), pct).items():
        tables[name][level] = table
        write_csv(f"{'zone_stability' if name == 'stability' else name}_{level}", table)
    top = tables["sensitivity"][level].groupby("scheme").head(1)
    log.info("%s: the switch that changes most zones per scheme:\n%s", level, top.to_string(index=False))
    if level in p.analysis_levels or level == first:  # dissolved once, for the statistics and the map
        units[level] = level_units(finest, id_col, keep=[p.group_column, p.outline])
    if level in p.analysis_levels:
        with timed(log, f"Moran's I and Dagum of {len(members)} members by {level}"):
            variables = list(p.analysis["baseline"]["variables"])  # the baseline's, for every member
            spread = global_spread(long, units[level], members, p.analysis, p.group_column, variables, pct)
        tables["spread"][level] = spread
        write_csv(f"global_{level}", tables["spread"][level])
record = {
    m: {k: v for k, v in rec.items() if k in ("kind", "overrides", "draws", "changed", "stages", "switch")}
    for m, rec in members.items()
}
with atomic_output(sm.output.members) as tmp:
    tmp.write_text(json.dumps(record, indent=1, default=str))
rows = pd.DataFrame(
    [
        {"member": m, "kind": r["kind"], "overrides": json.dumps(r["overrides"], default=str),
         "stages": ", ".join(r["stages"]) or "–"}
        for m, r in record.items()
    ]
)  # fmt: skip
with atomic_output(sm.output.page) as tmp:
    page = ensemble_page(tables["intervals"], tables["stability"], tables["sensitivity"], tables["spread"], rows)
    open(tmp, "w", encoding="utf-8").write(page)
last = int(tables["intervals"][first]["year"].max())
outline = p.outline if p.outline in units[first].columns and p.outline != p.levels[first] else None
with timed(log, "zone stability map"), atomic_output(sm.output.stability) as tmp:
    stability_map(units[first], tables["stability"][first], "unit_id", last, outline_column=outline, out_png=tmp)
with timed(log, "CBI intervals"), atomic_output(sm.output.intervals) as tmp:
    cbi_intervals(tables["intervals"][first], last, pct, level=first, out_png=tmp)
write_json(sm.output.meta, {"ensemble": {"members": record, "percentiles": pct, "levels": list(p.levels)}})
