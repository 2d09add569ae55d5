"""Zonal tables of every level from the finest units, all years (rule zonal_levels)."""

from _helpers import setup

log = setup(snakemake)

import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.zonal.levels import aggregate_levels
from carbonbalance.zonal.stage import means_of

sm = snakemake
finest = pd.concat([pd.read_parquet(p) for p in sm.input.tables], ignore_index=True)
units = pd.read_parquet(sm.input.units)
means = means_of(finest.columns)  # recomputed per level from their sums and valid-cell counts
sums = [c for c in finest.columns if c not in ("unit_id", "year") and c not in means]
tables = aggregate_levels(finest, units, [tuple(x) for x in sm.params.levels], sums, means)
for level, table in tables.items():
    with atomic_output(sm.output[level]) as tmp:
        table.to_parquet(tmp, index=False)
    log.info("zonal %s: %d rows", level, len(table))
write_json(sm.output.meta, {"zonal_levels": {lvl: len(t) for lvl, t in tables.items()}})
