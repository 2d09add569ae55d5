"""Land-use coefficient absorption CA per unit of every level for one year (rule landuse_absorption)."""

from _helpers import setup

log = setup(snakemake)

import geopandas as gpd

from carbonbalance.core.assignment import read_coverage
from carbonbalance.core.store import atomic_output, open_store, write_json
from carbonbalance.emissions.accounting import absorption_table, landuse_areas
from carbonbalance.emissions.params import AbsorptionParams

sm = snakemake
year = int(sm.wildcards.year)
cov = read_coverage(sm.input.assignment)
ids = [str(i) for i in cov.unit_ids]
units = gpd.read_file(sm.input.units, ignore_geometry=True)
finest_id = cov.attrs["level_id"]
finest = units.assign(**{finest_id: units[finest_id].astype(str)}).set_index(finest_id).loc[ids].reset_index()
cfg = AbsorptionParams.from_config(sm.params.absorption)
areas = landuse_areas(
    cov,
    sm.params.mode,
    open_store(sm.input.landuse)["landuse"].data,
    open_store(sm.input.area)["cell_area_m2"].data,
    cfg.classes,
    threads=sm.threads,
)
levels = [(lv["name"], lv["id"]) for lv in sm.params.levels]
table = absorption_table(areas, finest, levels, cfg.coefficients_tc_per_hm2, year=year)
with atomic_output(sm.output.table) as tmp:
    table.to_parquet(tmp, index=False)
top = table[table["level"] == levels[-1][0]]
log.info(
    "land-use absorption %d by %s (t C, %s assignment):\n%s",
    year,
    levels[-1][0],
    sm.params.mode,
    top[["unit_id", "absorption_tc"]].to_string(index=False),
)
write_json(
    sm.output.meta,
    {
        "landuse_absorption": {
            str(year): {
                "coefficients_tc_per_hm2": cfg.coefficients_tc_per_hm2,
                "assignment": sm.params.mode,
                "absorption_tc_by_" + levels[-1][0]: dict(zip(top["unit_id"], top["absorption_tc"].astype(float))),
            }
        }
    },
)
