"""Cell-centre labels and exact coverage fractions of the finest units (rule coverage).

Named zonal_coverage.py: a script called coverage.py would shadow the coverage package numba imports."""

from _helpers import setup

log = setup(snakemake)  # noqa: F821

import geopandas as gpd  # noqa: E402

from carbonbalance.grid import GridSpec  # noqa: E402
from carbonbalance.store import write_json  # noqa: E402
from carbonbalance.zonal import build_coverage, write_coverage  # noqa: E402

sm = snakemake  # noqa: F821
grid = GridSpec.from_json(sm.input.grid)
cov, record = build_coverage(gpd.read_file(sm.input.units), grid, sm.params.finest)
write_coverage(cov, grid, sm.output.coverage, record)
log.info("coverage: %d units, %d whole cells, %d boundary entries", record["n_units"], record["cells_whole"],
         record["boundary_entries"])
write_json(sm.output.meta, {"coverage": record})
