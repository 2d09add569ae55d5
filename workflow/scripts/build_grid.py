"""Target grid from config and boundaries, plus the cell-area layer (rule build_grid)."""

from _helpers import setup

log = setup(snakemake)  # noqa: F821

import geopandas as gpd  # noqa: E402

from carbonbalance.grid import GridSpec  # noqa: E402
from carbonbalance.ingest import write_cell_area  # noqa: E402
from carbonbalance.store import atomic_output, write_json  # noqa: E402

sm = snakemake  # noqa: F821
g = sm.params.grid
units = gpd.read_file(sm.input[0])
bounds = g["bounds"] if g.get("bounds") else units.total_bounds
grid = GridSpec.from_bounds(g["crs"], g["resolution"], bounds, chunk=g["chunk"])
log.info("grid: %d rows x %d cols at %s, bounds %s", grid.height, grid.width, grid.resolution, grid.bounds)
record = write_cell_area(grid, sm.output.area, threads=sm.threads)
with atomic_output(sm.output.grid) as tmp:
    grid.to_json(tmp)
record.update({"crs": g["crs"], "resolution": grid.resolution, "shape": list(grid.shape),
               "bounds": list(grid.bounds), "chunk": grid.chunk,
               "bounds_source": "config grid.bounds" if g.get("bounds") else "boundaries, snapped outward"})
write_json(sm.output.meta, {"grid": record})
