"""Allocate one year's emission totals to the grid (rule emissions)."""

from _helpers import dask_scheduler, setup

log = setup(snakemake)

import geopandas as gpd
import pandas as pd

from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import write_json
from carbonbalance.emissions.params import EmissionParams
from carbonbalance.emissions.stage import run_emissions_year

sm = snakemake
year = int(sm.wildcards.year)
params = EmissionParams.from_config(sm.params.emissions)
paths = {k: sm.input[k] for k in ("light", "population", "area", "landuse") if k in sm.input.keys()}
outputs = {k: sm.output[k] for k in sm.output.keys() if k != "meta"}
units = gpd.read_file(sm.input.units, ignore_geometry=True)
with dask_scheduler(sm):
    record = run_emissions_year(
        paths,
        GridSpec.from_json(sm.input.grid),
        params,
        pd.read_parquet(sm.input.statistics),
        units,
        sm.input.assignment,
        year,
        outputs,
        mode=sm.params.mode,
        landuse_classes=sm.params.landuse_classes,
        threads=sm.threads,
    )
write_json(sm.output.meta, {"emissions": {str(year): record}})
