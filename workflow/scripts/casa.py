"""CASA NPP, RH, NEP and sequestration of one year on the grid (rule casa)."""

from _helpers import dask_scheduler, setup

log = setup(snakemake)

from carbonbalance.casa.params import CasaParams
from carbonbalance.casa.stage import run_casa_year
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import write_json

sm = snakemake
year = int(sm.wildcards.year)
params = CasaParams.from_config(sm.params.casa)
paths = {k: sm.input[k] for k in ("ndvi", "temperature", "precipitation", "radiation", "landcover")}
paths["cell_area"] = sm.input.area
outputs = {k: sm.output[k] for k in ("npp", "rh", "nep", "sequestration", "monthly")}
with dask_scheduler(sm):
    record = run_casa_year(
        paths,
        GridSpec.from_json(sm.input.grid),
        params,
        sm.params.classes,
        year,
        outputs,
        units_path=sm.input.units,
        threads=sm.threads,
    )
write_json(sm.output.meta, {"casa": {str(year): record}})
