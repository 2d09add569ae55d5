"""Maps of annual NPP and NEP of one year (rule casa_map)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd

from carbonbalance.core.store import atomic_output
from carbonbalance.plots.labels import title
from carbonbalance.plots.maps import map_panels

sm = snakemake
year = sm.wildcards.year
units = gpd.read_file(sm.input.units)
panels = [
    {"path": sm.input.npp, "title": title("npp", year), "cmap": "YlGn"},
    {"path": sm.input.nep, "title": title("nep", year), "cmap": "RdBu", "diverging": True},
]
with atomic_output(sm.output[0]) as tmp:
    map_panels(
        panels, outlines=units, outline_groups=[sm.params.levels[-1]], out_png=tmp, title=f"Improved CASA, {year}"
    )
log.info("wrote %s", sm.output[0])
