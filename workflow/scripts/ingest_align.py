"""Align one input variable of one year onto the target grid (rules align_monthly, align_annual)."""

from pathlib import Path

from _helpers import dask_scheduler, setup

log = setup(snakemake)

from carbonbalance.core.assignment import read_coverage
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.metadata import file_sha256
from carbonbalance.core.store import write_json
from carbonbalance.ingest.params import RasterInput
from carbonbalance.ingest.stage import align_variable

sm = snakemake
spec = RasterInput.from_config(sm.wildcards.var, sm.params.spec)
grid = GridSpec.from_json(sm.input.grid)
with dask_scheduler(sm):
    record = align_variable(
        spec,
        int(sm.wildcards.year),
        grid,
        sm.output.store,
        threads=sm.threads,
        class_codes=[int(c) for c in sm.params.classes] if sm.params.classes else None,
        region=read_coverage(sm.input.assignment).region(),
        # the regridding weights of every source grid, computed by the first alignment that needs them
        cache_dir=Path(sm.input.grid).parent / "regrid",
    )
for source in record["sources"]:  # what was read, for the report's home page and reruns by others
    source["sha256"] = {f: file_sha256(f) for f in source["files"]}
log.info("%s %s aligned: min %s max %s", spec.variable, sm.wildcards.year, record["min"], record["max"])
write_json(sm.output.meta, {"align": {f"{spec.variable}/{sm.wildcards.year}": record}})
