# carbonbalance: raw rasters and yearbook tables -> regional carbon budgets.
# See README.md for usage and ../shared/SPEC.md (copied science reference) for the methods.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


normalise_config(config)
validate(config, "workflow/schemas/config.schema.yaml", set_default=True)
check_config_levels()
if not config["demo"]["enabled"]:
    check_user_inputs()


report: "workflow/report/workflow.rst"


wildcard_constraints:
    year=r"\d{4}",
    var=r"[a-z]+",


include: "workflow/rules/demo.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/casa.smk"
include: "workflow/rules/emissions.smk"
include: "workflow/rules/zonal.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/econometrics.smk"


rule all:
    input:
        all_targets(),
    default_target: True
