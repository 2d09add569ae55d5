"""Energy accounting Ce = E sigma, Cp = P theta, Cz = Ce + Cp per unit and year (rule energy_accounting)."""

from _helpers import setup

log = setup(snakemake)

import pandas as pd

from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.emissions.accounting import energy_accounting
from carbonbalance.emissions.params import EnergyParams

sm = snakemake
table = energy_accounting(pd.read_parquet(sm.input[0]), EnergyParams.from_config(sm.params.energy))
sigma = table.attrs.pop("sigma_check")
with atomic_output(sm.output.table) as tmp:
    table.to_parquet(tmp, index=False)
totals = table.groupby(["level", "year"])["emission_tco2"].sum()
log.info("energy accounting: %d unit-years; totals (t CO2):\n%s", len(table), totals.to_string())
write_json(
    sm.output.meta,
    {
        "energy_accounting": {
            **sm.params.energy,
            "rows": len(table),
            "sigma_check": sigma,
            "emission_tco2_by_level_year": {f"{lv} {y}": float(v) for (lv, y), v in totals.items()},
        }
    },
)
