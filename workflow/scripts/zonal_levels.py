"""Zonal tables of every level from the finest units, all years (rule zonal_levels)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.plots.labels import title
from carbonbalance.plots.maps import choropleth_panels
from carbonbalance.plots.report import zonal_page
from carbonbalance.zonal.levels import aggregate_levels
from carbonbalance.zonal.stage import means_of

sm = snakemake
finest = pd.concat([pd.read_parquet(p) for p in sm.input.tables], ignore_index=True)
units = pd.read_parquet(sm.input.units)
means = means_of(finest.columns)  # recomputed per level from their sums and valid-cell counts
sums = [c for c in finest.columns if c not in ("unit_id", "year") and c not in means]
tables = aggregate_levels(finest, units, [tuple(x) for x in sm.params.levels], sums, means)
for level, table in tables.items():
    with atomic_output(sm.output[level]) as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_output(sm.output[f"{level}_table"]) as tmp:
        open(tmp, "w", encoding="utf-8").write(zonal_page(table, level))
    log.info("zonal %s: %d rows", level, len(table))
finest_name, finest_id = sm.params.levels[0]
last = tables[finest_name][tables[finest_name]["year"] == tables[finest_name]["year"].max()]
last = last.assign(emission_density_tco2_km2=last["emissions_tco2"] / last["area_km2"].where(last["area_km2"] > 0))
shapes = gpd.read_file(sm.input.shapes)
shapes = shapes.merge(last.drop(columns=[c for c in last.columns if c.endswith("_id") and c != "unit_id"]),
                      left_on=finest_id, right_on="unit_id", how="left")  # fmt: skip
year = int(last["year"].max())
panels = [
    {"column": "npp_mean_gc_m2", "title": title("npp_mean_gc_m2", year), "cmap": "YlGn", "fmt": "{:,.0f}"},
    # NEP > 0: the unit's ecosystems take up carbon (green), < 0: they release it (brown)
    {"column": "nep_mean_gc_m2", "title": title("nep_mean_gc_m2", year), "cmap": "BrBG", "threshold": 0.0,
     "fmt": "{:,.0f}"},
    {"column": "emission_density_tco2_km2", "title": title("emission_density_tco2_km2", year), "cmap": "YlOrRd",
     "scheme": "Quantiles", "fmt": "{:,.0f}"},
]  # fmt: skip
with atomic_output(sm.output.figure) as tmp:
    choropleth_panels(shapes, panels, outline_column=sm.params.outline, title=f"Zonal means by {finest_name}, {year}",
                      out_png=tmp)  # fmt: skip
write_json(sm.output.meta, {"zonal_levels": {lvl: len(t) for lvl, t in tables.items()}})
