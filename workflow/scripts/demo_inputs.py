"""Generate the embedded demo inputs (rule demo_inputs)."""

from _helpers import setup

log = setup(snakemake)  # noqa: F821

from carbonbalance import demo  # noqa: E402

summary = demo.generate(
    snakemake.params.inputs,  # noqa: F821
    snakemake.output.boundaries,  # noqa: F821
    snakemake.output.statistics,  # noqa: F821
    snakemake.params.years,  # noqa: F821
    seed=snakemake.params.seed,  # noqa: F821
    root=snakemake.params.root,  # noqa: F821
)
log.info("demo inputs written: %s", summary)
