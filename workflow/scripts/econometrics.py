"""Spatial panel models of one level and their robustness runs (rule econometrics)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.econometrics.params import EconometricsParams
from carbonbalance.econometrics.stage import model_frame, panel_frame, run_panel_models
from carbonbalance.ingest.boundaries import level_units
from carbonbalance.plots.econometrics import effects_forest
from carbonbalance.plots.labels import expression_label
from carbonbalance.plots.report import sdm_page

sm = snakemake
cfg, level = sm.params.cfg, sm.wildcards.level
params = EconometricsParams.from_config(cfg)
gdf = level_units(gpd.read_file(sm.input.units), sm.params.level_id)
frame = panel_frame(
    pd.read_parquet(sm.input.budget), pd.read_parquet(sm.input.statistics), pd.read_parquet(sm.input.zonal), level
)
data = model_frame(frame, params.y, list(params.x))
log.info(
    "panel of %d %s units x %d years: y = %s, x = %s",
    data["unit_id"].nunique(),
    level,
    data["year"].nunique(),
    params.y,
    list(params.x),
)
tables = run_panel_models(data, gdf, params.y, list(params.x), params)
for name in ("coefficients", "effects", "robustness_effects", "tests", "fit"):
    with atomic_output(sm.output[name]) as tmp:
        tables[name].to_csv(tmp, index=False)
with atomic_output(sm.output.figure) as tmp:
    effects_forest(
        tables["effects"],
        tables["robustness_effects"],
        f"SDM effects on {expression_label(params.y)} ({level}, {params.effects} fixed effects, 95 % intervals)",
        tmp,
    )
with atomic_output(sm.output.table) as tmp:
    page = sdm_page(tables["coefficients"], tables["effects"], tables["tests"], tables["fit"], level)
    open(tmp, "w", encoding="utf-8").write(page)
log.info("SDM effects:\n%s", tables["effects"].to_string(index=False))
write_json(
    sm.output.meta,
    {
        "econometrics": {
            level: {
                "y": cfg["y"],
                "x": list(cfg["x"]),
                "effects": cfg["effects"],
                "lee_yu": cfg["lee_yu"],
                "weights": cfg["weights"],
                "robustness": cfg["robustness"],
                "n_units": int(data["unit_id"].nunique()),
                "years": sorted(int(y) for y in data["year"].unique()),
                "fit": tables["fit"].to_dict("records"),
                "tests": tables["tests"].to_dict("records"),
            }
        }
    },
)
