"""Generate the embedded demo inputs (rule demo_inputs)."""

from _helpers import setup

log = setup(snakemake)

from carbonbalance import demo

summary = demo.generate(
    snakemake.params.inputs,
    snakemake.output.boundaries,
    snakemake.output.statistics,
    snakemake.params.years,
    seed=snakemake.params.seed,
    root=snakemake.params.root,
    layout=snakemake.params.layout,
)
log.info("demo inputs written: %s", summary)
