"""MGWR of one level and year: bandwidths, coefficient summary, local coefficients (rule mgwr)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.econometrics.params import MgwrParams
from carbonbalance.econometrics.stage import mgwr_year, model_frame, panel_frame
from carbonbalance.ingest.boundaries import level_units

sm = snakemake
level, year = sm.wildcards.level, int(sm.wildcards.year)
y, x, cfg = sm.params.y, list(sm.params.x), MgwrParams.from_config(sm.params.cfg)
gdf = level_units(gpd.read_file(sm.input.units), sm.params.level_id)
frame = panel_frame(
    pd.read_parquet(sm.input.budget), pd.read_parquet(sm.input.statistics), pd.read_parquet(sm.input.zonal), level
)
data = model_frame(frame[frame["year"] == year], y, x)
summary, local, res = mgwr_year(gdf, data, year, y, x, cfg, n_jobs=sm.threads)
log.info("MGWR %s %d: AICc %.2f, R2 %.3f\n%s", level, year, res.aicc, res.r2, summary.to_string(index=False))
with atomic_output(sm.output.summary) as tmp:
    summary.to_csv(tmp, index=False)
with atomic_output(sm.output.local) as tmp:
    local.to_csv(tmp, index=False)
write_json(
    sm.output.meta,
    {
        "mgwr": {
            f"{level}_{year}": {
                "y": y,
                "x": x,
                "bandwidths": res.bandwidths.to_dict(),
                "aicc": res.aicc,
                "r2": res.r2,
                "kernel": cfg.kernel,
                "fixed": cfg.fixed,
                "standardized": res.standardized,
            }
        }
    },
)
