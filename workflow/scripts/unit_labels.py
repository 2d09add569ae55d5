"""Finest-level unit label raster on the grid (rule unit_labels)."""

from _helpers import setup

log = setup(snakemake)  # noqa: F821

import geopandas as gpd  # noqa: E402

from carbonbalance.grid import GridSpec  # noqa: E402
from carbonbalance.store import write_json  # noqa: E402
from carbonbalance.unit_raster import write_unit_labels  # noqa: E402

sm = snakemake  # noqa: F821
levels = sm.params.levels
record = write_unit_labels(gpd.read_file(sm.input.units), GridSpec.from_json(sm.input.grid),
                           {lv["name"]: lv["id"] for lv in levels}, sm.output.labels)
write_json(sm.output.meta, {"unit_labels": record})
