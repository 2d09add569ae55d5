"""The run's one cell-to-unit assignment of the finest units (rule unit_assignment):
centre labels and exact coverage fractions, shared by the allocation, zonal sums and
land-use areas."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd

from carbonbalance.core.assignment import build_coverage, write_coverage
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import write_json

sm = snakemake
grid = GridSpec.from_json(sm.input.grid)
levels = {lv["name"]: lv["id"] for lv in sm.params.levels}
cov, record = build_coverage(gpd.read_file(sm.input.units), grid, next(iter(levels.values())))
write_coverage(cov, grid, sm.output.assignment, record, levels=levels)
log.info(
    "unit assignment: %d units, %d whole cells, %d boundary entries, %d unit(s) at a borrowed cell",
    record["n_units"],
    record["cells_whole"],
    record["boundary_entries"],
    len(record["units_at_borrowed_cell"]),
)
write_json(sm.output.meta, {"unit_assignment": record})
