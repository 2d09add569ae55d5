"""Zonal statistics of one year for every ensemble member that changes a layer (rule ensemble_zonal)."""

from _helpers import dask_scheduler, setup

log = setup(snakemake)

import pandas as pd

from carbonbalance.core.assignment import read_coverage
from carbonbalance.core.store import atomic_output
from carbonbalance.ensemble.stage import CASA_LAYERS, member_zonal_year

sm = snakemake
year = int(sm.wildcards.year)
inp = sm.input
shared = {k: inp[k] for k in ("area", "nightlight", "population", "landuse", "ndvi", "temperature", "precipitation")}
shared |= {k: inp[k] for k in ("npp_product", "inventory") if k in inp.keys()}
cov = read_coverage(inp.assignment)
baseline = pd.read_parquet(inp.baseline)
with dask_scheduler(sm):
    for k, (member, p) in enumerate(sm.params.members.items(), start=1):
        paths = dict(shared) | {name: inp[f"{member}__{name}"] for name in CASA_LAYERS + ("emissions",)}
        table = member_zonal_year(
            cov, baseline, paths, year, p["mode"], p["landuse_codes"], p["layers"], threads=sm.threads
        )
        with atomic_output(sm.output[member]) as tmp:
            table.to_parquet(tmp, index=False)
        log.info(
            "member %d/%d %s (%s): %d units", k, len(sm.params.members), member, ", ".join(p["layers"]), len(table)
        )
