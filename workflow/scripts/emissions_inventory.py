"""A gridded emission inventory of one year per finest unit, by exact coverage (rule emission_inventory)."""

from _helpers import setup

log = setup(snakemake)

from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import write_json
from carbonbalance.emissions.stage import run_inventory_year
from carbonbalance.ingest.params import RasterInput

sm = snakemake
year = int(sm.wildcards.year)
record = run_inventory_year(
    RasterInput.from_config("inventory", sm.params.inventory),
    year,
    GridSpec.from_json(sm.input.grid),
    sm.input.units,
    sm.params.level_id,
    sm.output.table,
)
write_json(sm.output.meta, {"emission_inventory": {str(year): record}})
