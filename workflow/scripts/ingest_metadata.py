"""Merge the per-job provenance records into results/run_metadata.json (rule run_metadata)."""

from _helpers import setup

log = setup(snakemake)

from carbonbalance.core.metadata import merge_records
from carbonbalance.core.store import write_json

sm = snakemake
meta = merge_records(sm.input, sm.params.config)
write_json(sm.output[0], meta)
log.info("run metadata: %d stage records", len(sm.input))
