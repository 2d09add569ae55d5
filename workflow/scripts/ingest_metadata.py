"""Merge the per-job provenance records into results/run_metadata.json (rule run_metadata)."""

from _helpers import setup

log = setup(snakemake)

from carbonbalance.core.metadata import merge_records
from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.plots.checks import input_checks
from carbonbalance.plots.report import casa_page, emissions_page, ingest_page, run_page, run_summary_rst

sm = snakemake
meta = merge_records(sm.input, sm.params.config)
write_json(sm.output[0], meta)
pages = {
    "page": run_page,
    "summary": run_summary_rst,
    "ingest": ingest_page,
    "casa": casa_page,
    "emissions": emissions_page,
}
for name, page in pages.items():
    text, path = page(meta), sm.output[name]
    with atomic_output(path) as tmp:
        open(tmp, "w", encoding="utf-8").write(text)
with atomic_output(sm.output.checks) as tmp:
    input_checks(meta, tmp)
log.info("run metadata: %d stage records", len(sm.input))
