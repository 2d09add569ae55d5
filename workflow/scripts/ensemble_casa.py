"""CASA of every εmax member of the ensemble for one year in one pass (rule ensemble_casa_batch)."""

from _helpers import dask_scheduler, setup

log = setup(snakemake)

from carbonbalance.casa.params import CasaParams
from carbonbalance.casa.stage import run_casa_members
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import write_json

sm = snakemake
year = int(sm.wildcards.year)
paths = {k: sm.input[k] for k in ("ndvi", "temperature", "precipitation", "radiation", "landcover")}
paths["cell_area"] = sm.input.area
members = dict(sm.params.members)
outputs = {m: {k: sm.output[f"{m}__{k}"] for k in ("npp", "nep", "sequestration")} for m in members}
with dask_scheduler(sm):
    record = run_casa_members(
        paths,
        GridSpec.from_json(sm.input.grid),
        CasaParams.from_config(sm.params.casa),
        sm.params.classes,
        year,
        members,
        outputs,
        units_path=sm.input.units,
        threads=sm.threads,
    )
write_json(sm.output.meta, {"ensemble_casa": {str(year): record}})
