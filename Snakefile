# carbonbalance: raw rasters and yearbook tables -> regional carbon budgets.
# See README.md for usage and ../shared/SPEC.md (copied science reference) for the methods.
#
# The configuration comes only from --configfile: a user's run starts from the schema
# defaults (workflow/schemas/config.schema.yaml) and never from the demo's values. The
# workflow profile (profiles/default) selects config/demo.yaml when no --configfile is
# given; every output of a run goes below results/{run_name}/ and logs/{run_name}/.
from snakemake.utils import min_version

min_version("9.0")


include: "workflow/rules/common.smk"


load_config(config, workflow.configfiles)


report: "workflow/report/workflow.rst"


# Light rules (seconds, a few hundred MB at national scale) and the demo's generator run on
# the submitting host when the workflow goes to a cluster; in a local run this changes nothing.
localrules:
    all,
    demo_inputs,
    statistics,
    energy_accounting,
    zonal_levels,
    budget,
    run_metadata,


wildcard_constraints:
    year=r"\d{4}",
    var=r"[a-z]+",


include: "workflow/rules/demo.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/casa.smk"
include: "workflow/rules/emissions.smk"
include: "workflow/rules/zonal.smk"
include: "workflow/rules/budget.smk"
include: "workflow/rules/spatial.smk"
include: "workflow/rules/econometrics.smk"
include: "workflow/rules/ensemble.smk"


if PLANNING:
    write_plan_scale()


rule all:
    default_target: True
    input:
        all_targets(),
