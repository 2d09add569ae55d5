"""Emission centre of gravity and ellipse per year (rule centre_of_gravity)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd

from carbonbalance.core.store import atomic_output
from carbonbalance.plots.spatial import centre_trajectory
from carbonbalance.spatial.stage import grid_centres

sm = snakemake
centres = grid_centres(dict(zip(sm.params.years, sm.input.grids)))
with atomic_output(sm.output.table) as tmp:
    centres.to_csv(tmp, index=False)
with atomic_output(sm.output.figure) as tmp:
    centre_trajectory(gpd.read_file(sm.input.units), centres, tmp)
log.info("centres:\n%s", centres.to_string(index=False))
