"""Moran, LISA, Gi*, KDE and Dagum tables and figures of one level (rule analysis)."""

from _helpers import setup

log = setup(snakemake)  # noqa: F821

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402

from carbonbalance import spatial  # noqa: E402
from carbonbalance.analysis import unit_tables  # noqa: E402
from carbonbalance.boundaries import level_units  # noqa: E402
from carbonbalance.analysis_plots import kde_and_dagum, moran_and_lisa  # noqa: E402
from carbonbalance.store import atomic_output, write_json  # noqa: E402

sm = snakemake  # noqa: F821
cfg = sm.params.analysis
budget = pd.read_parquet(sm.input.budget)
finest = gpd.read_file(sm.input.units)
lid, group = sm.params.level_id, sm.params.group_column
gdf = level_units(finest, lid, keep=[group])
tables = unit_tables(gdf, budget, list(cfg["variables"]), cfg, group if group in gdf.columns else None)
for name, table in tables.items():
    with atomic_output(sm.output[name]) as tmp:
        table.to_csv(tmp, index=False)
last = int(budget["year"].max())
w = spatial.weights(gdf, **{k: v for k, v in cfg["weights"].items()})
ys = {v: budget[budget["year"] == last].set_index("unit_id")[v].reindex(gdf["unit_id"]).to_numpy()
      for v in cfg["variables"]}
with atomic_output(sm.output.moran_lisa) as tmp:
    moran_and_lisa(gdf, ys, w, tables["lisa"], tables["moran"], last, tmp)
with atomic_output(sm.output.kde_dagum) as tmp:
    kde_and_dagum(tables["kde"], tables["dagum"], tmp)
moran = tables["moran"]
log.info("analysis %s:\n%s", sm.wildcards.level, moran.to_string(index=False))
write_json(sm.output.meta, {"analysis": {sm.wildcards.level: {
    "weights": cfg["weights"], "group_column": group, "variables": list(cfg["variables"]),
    "kde": {**cfg["kde"], "bandwidths": tables["kde"].groupby(["variable", "year"])["bandwidth"].first()
            .rename("bandwidth").reset_index().to_dict("records")},
    "moran": moran.to_dict("records"),
    "lisa_clusters": tables["lisa"].groupby(["variable", "year"])["cluster"].value_counts().rename("n")
    .reset_index().to_dict("records")}}})
