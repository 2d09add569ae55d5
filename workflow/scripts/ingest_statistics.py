"""Validate the statistics table against the boundaries (rule statistics)."""

from _helpers import setup

log = setup(snakemake)

import pandas as pd

from carbonbalance.core.metadata import file_sha256
from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.ingest.statistics import read_statistics

sm = snakemake
units = pd.read_parquet(sm.input.units)
table = read_statistics({**sm.params.statistics, "path": sm.input.csv}, units)
missing = table.attrs.pop("missing_cells")
with atomic_output(sm.output.table) as tmp:
    table.to_parquet(tmp, index=False)
rows = table.groupby("level").size().to_dict()
log.info("statistics: %d rows %s, years %s", len(table), rows, sorted(table["year"].unique().tolist()))
write_json(
    sm.output.meta,
    {
        "statistics": {
            "path": sm.input.csv,
            "sha256": file_sha256(sm.input.csv),
            "rows_per_level": rows,
            "years": sorted(int(y) for y in table["year"].unique()),
            "columns": {k: v for k, v in sm.params.statistics["columns"].items()},
            "plausibility": sm.params.statistics["plausibility"],
            "n_cells_read_as_missing": len(missing),
            "cells_read_as_missing": missing[:200],
        }
    },
)
