"""Budget, zones, compensation and LMDI tables of one level (rule tables)."""

from _helpers import setup

log = setup(snakemake)

import pandas as pd

from carbonbalance.budget.stage import run_tables
from carbonbalance.core.store import atomic_output, write_json

sm = snakemake
level = sm.wildcards.level
absorption = pd.concat([pd.read_parquet(p) for p in sm.input.absorption], ignore_index=True)
parent = tuple(sm.params.parent) if sm.params.parent else None
out = run_tables(
    level,
    parent,
    pd.read_parquet(sm.input.zonal),
    pd.read_parquet(sm.input.statistics),
    pd.read_parquet(sm.input.energy),
    absorption,
    sm.params.tables,
    list(sm.params.years),
)
for key, path in (("budget", sm.output.budget), ("compensation", sm.output.compensation), ("lmdi", sm.output.lmdi)):
    with atomic_output(path) as tmp:
        out[key].to_csv(tmp, index=False)
with atomic_output(sm.output.budget_parquet) as tmp:
    out["budget"].to_parquet(tmp, index=False)
log.info("tables %s: %d budget rows, zones %s", level, len(out["budget"]), out["record"]["zones"])
write_json(sm.output.meta, {"tables": {level: out["record"]}})
