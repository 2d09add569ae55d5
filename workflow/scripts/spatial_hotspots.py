"""Getis-Ord Gi* hot spots of one year's emission grid (rule hotspots)."""

from _helpers import setup, timed

log = setup(snakemake)

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio

from carbonbalance.core.assignment import read_coverage
from carbonbalance.core.store import atomic_output
from carbonbalance.plots.spatial import HOTSPOT_CLASSES, hotspot_map
from carbonbalance.spatial.hotspots import class_counts, getis_ord_grid

sm = snakemake
units = gpd.read_file(sm.input.units)
with rasterio.open(sm.input.grid) as src:
    a = src.read(1)  # float32; Gi* sums in float64 band by band
    cell = abs(src.transform.a)
    b = src.bounds
# cells outside every unit (the run's one assignment of cells to units) carry no data for the
# statistic; zero is a valid emission inside
a[~read_coverage(sm.input.assignment).region()] = np.nan
z = getis_ord_grid(a, cell, float(sm.params.distance))
counts = pd.Series(class_counts(z)).reindex(HOTSPOT_CLASSES + ["nodata"], fill_value=0)
with atomic_output(sm.output.table) as tmp:
    counts.rename_axis("class").rename("cells").reset_index().to_csv(tmp, index=False)
with timed(log, "hot-spot map"), atomic_output(sm.output.figure) as tmp:
    hotspot_map(
        z,
        [b.left, b.right, b.bottom, b.top],
        units,
        tmp,
        f"Gi* hot and cold spots of CO₂ emissions, {sm.wildcards.year}\n"
        f"(cells within {sm.params.distance / 1000:g} km, confidence levels)",
    )
log.info("hot spots %s: %s", sm.wildcards.year, counts.to_dict())
