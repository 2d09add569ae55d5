"""Intervals, zone stability, sensitivity and the spread of Moran's I and the Dagum Gini of an
ensemble, with its figures and report page (rule ensemble_summary)."""

from _helpers import setup, timed

log = setup(snakemake)

import json

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.ensemble.summary import global_statistics, intervals, sensitivity, spread, zone_stability
from carbonbalance.ingest.boundaries import level_units
from carbonbalance.plots.ensemble import cbi_intervals, stability_map
from carbonbalance.plots.report import ensemble_page
from carbonbalance.spatial.params import WeightsParams
from carbonbalance.spatial.stage import unit_weights

sm = snakemake
p = sm.params
members = dict(p.members)
pct = list(p.ensemble["percentiles"])
finest = gpd.read_file(sm.input.units)


def write_csv(key, table):
    with atomic_output(sm.output[key]) as tmp:
        table.to_csv(tmp, index=False)


tables = {"intervals": {}, "stability": {}, "sensitivity": {}, "spread": {}}
for level, id_col in p.levels.items():
    long = pd.read_parquet(sm.input[level])
    tables["intervals"][level] = intervals(long, pct)
    tables["stability"][level] = zone_stability(long, list(p.schemes))
    tables["sensitivity"][level] = sensitivity(long, members, list(p.schemes))
    write_csv(f"intervals_{level}", tables["intervals"][level])
    write_csv(f"zone_stability_{level}", tables["stability"][level])
    write_csv(f"sensitivity_{level}", tables["sensitivity"][level])
    top = tables["sensitivity"][level].groupby("scheme").head(1)
    log.info("%s: the switch that changes most zones per scheme:\n%s", level, top.to_string(index=False))
    if level in p.analysis_levels:
        with timed(log, f"Moran's I and Dagum of {len(members)} members by {level}"):
            gdf = level_units(finest, id_col, keep=[p.group_column])
            ids = gdf["unit_id"].astype(str).tolist()
            cache, weights = {}, {}
            for m in members:
                key = json.dumps(p.analysis[m]["weights"], sort_keys=True)
                if key not in cache:
                    cache[key] = unit_weights(gdf, WeightsParams.from_config(p.analysis[m]["weights"]))[0]
                weights[m] = cache[key]
            groups = gdf[p.group_column].astype(str).to_numpy() if p.group_column in gdf.columns else None
            stats = global_statistics(long, ids, weights, groups, list(p.analysis["baseline"]["variables"]))
            tables["spread"][level] = spread(stats, pct)
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
level, id_col = next(iter(p.levels.items()))
last = int(tables["intervals"][level]["year"].max())
shapes = level_units(finest, id_col, keep=[p.outline])
outline = p.outline if p.outline in shapes.columns and p.outline != id_col else None
with timed(log, "zone stability map"), atomic_output(sm.output.stability) as tmp:
    stability_map(shapes, tables["stability"][level], "unit_id", last, outline_column=outline, out_png=tmp)
with timed(log, "CBI intervals"), atomic_output(sm.output.intervals) as tmp:
    cbi_intervals(tables["intervals"][level], last, pct, level=level, out_png=tmp)
write_json(sm.output.meta, {"ensemble": {"members": record, "percentiles": pct, "levels": list(p.levels)}})
