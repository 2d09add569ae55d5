"""Emission centre of gravity and ellipse per year (rule centre_of_gravity)."""

from _helpers import setup, timed

log = setup(snakemake)

import geopandas as gpd

from carbonbalance.core.store import atomic_output, read_decimated
from carbonbalance.plots.spatial import centre_trajectory
from carbonbalance.spatial.stage import grid_centres

sm = snakemake
centres = grid_centres(dict(zip(sm.params.years, sm.input.grids)))
with atomic_output(sm.output.table) as tmp:
    centres.to_csv(tmp, index=False)
last = read_decimated(sm.input.grids[-1])  # the last year's grid beneath the trajectory
with timed(log, "centre of gravity map"), atomic_output(sm.output.figure) as tmp:
    centre_trajectory(gpd.read_file(sm.input.units), centres, tmp, grid=last)
log.info("centres:\n%s", centres.to_string(index=False))
