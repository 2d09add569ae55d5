"""Moran, LISA, Gi*, KDE and Dagum tables and figures of one level (rule analysis)."""

from _helpers import setup, timed

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.ingest.boundaries import level_units
from carbonbalance.plots.report import spatial_page
from carbonbalance.plots.spatial import kde_and_dagum, moran_and_lisa
from carbonbalance.spatial.params import SpatialParams
from carbonbalance.spatial.stage import unit_tables, unit_weights

sm = snakemake
cfg = sm.params.analysis
params = SpatialParams.from_config(cfg)
budget = pd.read_parquet(sm.input.budget)
finest = gpd.read_file(sm.input.units)
lid, group = sm.params.level_id, sm.params.group_column
gdf = level_units(finest, lid, keep=[group])
w = unit_weights(gdf, params.weights)  # (row-standardised, binary), once for the tables and the figure
tables = unit_tables(gdf, budget, params, group if group in gdf.columns else None, w=w)
for name, table in tables.items():
    with atomic_output(sm.output[name]) as tmp:
        table.to_csv(tmp, index=False)
values = {
    v: {
        int(year): part.set_index("unit_id")[v].reindex(gdf["unit_id"]).to_numpy()
        for year, part in budget.groupby("year")
    }
    for v in params.variables
}
with timed(log, "Moran and LISA figure"), atomic_output(sm.output.moran_lisa) as tmp:
    moran_and_lisa(gdf, values, w[0], tables["lisa"], tables["moran"], tmp)
with timed(log, "KDE and Dagum figure"), atomic_output(sm.output.kde_dagum) as tmp:
    name_col = sm.params.group_name_column
    names = finest.drop_duplicates(group).set_index(group)[name_col].astype(str) if name_col else None
    names = None if names is None else dict(zip(names.index.astype(str), names))
    kde_and_dagum(tables["kde"], tables["dagum"], tmp, tables["dagum_groups"], names)
moran = tables["moran"]
with atomic_output(sm.output.table) as tmp:
    page = spatial_page(moran, tables["lisa"], tables["dagum"], tables["dagum_groups"], sm.wildcards.level)
    open(tmp, "w", encoding="utf-8").write(page)
log.info("analysis %s:\n%s", sm.wildcards.level, moran.to_string(index=False))
write_json(
    sm.output.meta,
    {
        "analysis": {
            sm.wildcards.level: {
                "weights": cfg["weights"],
                "group_column": group,
                "variables": list(cfg["variables"]),
                "kde": {
                    **cfg["kde"],
                    "bandwidths": tables["kde"]
                    .groupby(["variable", "year"])["bandwidth"]
                    .first()
                    .rename("bandwidth")
                    .reset_index()
                    .to_dict("records"),
                },
                "moran": moran.to_dict("records"),
                "lisa_clusters": tables["lisa"]
                .groupby(["variable", "year"])["cluster"]
                .value_counts()
                .rename("n")
                .reset_index()
                .to_dict("records"),
            }
        }
    },
)
