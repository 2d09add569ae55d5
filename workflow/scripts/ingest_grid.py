"""Target grid from config and boundaries, plus the cell-area layer (rule build_grid)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd

from carbonbalance.core.grid import GridParams
from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.ingest.stage import write_cell_area

sm = snakemake
g = GridParams.from_config(sm.params.grid)
grid = g.grid(gpd.read_file(sm.input[0]).total_bounds)
log.info("grid: %d rows x %d cols at %s, bounds %s", grid.height, grid.width, grid.resolution, grid.bounds)
record = write_cell_area(grid, sm.output.area, threads=sm.threads)
with atomic_output(sm.output.grid) as tmp:
    grid.to_json(tmp)
record.update(
    {
        "crs": g.crs,
        "resolution": grid.resolution,
        "shape": list(grid.shape),
        "bounds": list(grid.bounds),
        "chunk": grid.chunk,
        "bounds_source": "config grid.bounds" if g.bounds else "boundaries, snapped outward",
    }
)
write_json(sm.output.meta, {"grid": record})
