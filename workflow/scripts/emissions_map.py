"""Map of one year's emission grid, log colour scale (rule emissions_map)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd

from carbonbalance.core.store import atomic_output
from carbonbalance.plots.labels import title
from carbonbalance.plots.maps import map_panels

sm = snakemake
year = sm.wildcards.year
units = gpd.read_file(sm.input.units)
panels = [{"path": sm.input.total, "title": title("emissions", year), "cmap": "YlOrRd", "log": True}]
panels += [
    {"path": sm.input[k], "title": title(f"emissions_{k}", year), "cmap": "YlOrRd", "log": True}
    for k in ("urban", "industrial", "rural")
    if k in sm.input.keys()
]
with atomic_output(sm.output[0]) as tmp:
    map_panels(
        panels,
        outlines=units,
        outline_groups=[sm.params.levels[-1]],
        out_png=tmp,
        title=f"Emissions allocated to the grid, {year} (one colour scale for all panels)",
        shared_scale=True,
    )
log.info("wrote %s", sm.output[0])
