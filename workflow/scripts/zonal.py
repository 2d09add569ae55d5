"""Zonal statistics of one year per finest unit (rule zonal)."""

from _helpers import dask_scheduler, setup

log = setup(snakemake)

from carbonbalance.core.assignment import read_coverage
from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.zonal.stage import zonal_year

sm = snakemake
year = int(sm.wildcards.year)
inp = sm.input
paths = {
    k: inp[k]
    for k in (
        "area",
        "emissions",
        "npp",
        "rh",
        "nep",
        "nightlight",
        "population",
        "landuse",
        "ndvi",
        "temperature",
        "precipitation",
    )
}
paths["sequestration"] = inp.sequestration_tco2
paths |= {k: inp[k] for k in ("npp_product", "inventory") if k in inp.keys()}
cov = read_coverage(inp.assignment)
with dask_scheduler(sm):
    table, means = zonal_year(
        cov, paths, year, mode=sm.params.mode, landuse_codes=sm.params.landuse_codes, threads=sm.threads
    )
table.attrs = {}
with atomic_output(sm.output.table) as tmp:
    table.to_parquet(tmp, index=False)
log.info("zonal %d (%s): %d units x %d columns", year, sm.params.mode, len(table), table.shape[1])
write_json(
    sm.output.meta,
    {"zonal": {str(year): {"mode": sm.params.mode, "columns": list(table.columns), "mean_columns": means}}},
)
