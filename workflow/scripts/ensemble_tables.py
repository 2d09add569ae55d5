"""Budget, zones and compensation of every ensemble member at the reported levels (rule ensemble_tables)."""

from _helpers import setup

log = setup(snakemake)

import pandas as pd

from carbonbalance.core.store import atomic_output
from carbonbalance.ensemble.stage import member_budgets, stack_members

sm = snakemake
inp = sm.input
p = sm.params
levels = [tuple(x) for x in p.levels]
statistics = pd.read_parquet(inp.statistics)
energy = pd.read_parquet(inp.energy)
units = pd.read_parquet(inp.units)
baseline_zonal = {lvl: pd.read_parquet(inp[f"zonal__{lvl}"]) for lvl in p.report_levels}
baseline = {lvl: pd.read_parquet(inp[f"budget__{lvl}"]) for lvl in p.report_levels}
budgets = {lvl: {} for lvl in p.report_levels}
for k, member in enumerate(p.members, start=1):
    stages = p.rerun[member]
    if "tables" not in stages:  # nothing the budget reads changes: the baseline's tables
        for lvl in p.report_levels:
            budgets[lvl][member] = baseline[lvl]
        continue
    finest = None
    if "zonal" in stages:
        finest = pd.concat([pd.read_parquet(inp[f"{member}__zonal__{y}"]) for y in p.years], ignore_index=True)
    absorption = pd.concat([pd.read_parquet(inp[f"{member}__absorption__{y}"]) for y in p.years], ignore_index=True)
    out = member_budgets(
        stages, finest, baseline_zonal, units, levels, statistics, energy, p.energy[member], absorption,
        p.absorption[member], p.tables[member], list(p.report_levels), dict(p.parents), list(p.years),
    )  # fmt: skip
    for lvl, table in out.items():
        budgets[lvl][member] = table
    log.info("member %d/%d %s: reruns %s", k, len(p.members), member, ", ".join(stages))
for lvl in p.report_levels:
    table = stack_members(budgets[lvl])
    with atomic_output(sm.output[lvl]) as tmp:
        table.to_parquet(tmp, index=False)
    log.info("%s: %d rows of %d members", lvl, len(table), len(budgets[lvl]))
