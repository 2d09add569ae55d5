"""carbonbalance: regional carbon budgets from rasters and yearbook tables.

The library holds pure, importable functions; the Snakemake workflow in
``workflow/`` only adapts them to files.  One subpackage per stage of the SPEC, each read
top-down (``stage`` → engine → kernels → ``params``):

- :mod:`carbonbalance.core`          grid, blocks, the cell-to-unit assignment, stores, config
- :mod:`carbonbalance.ingest`        boundaries, statistics and raster alignment (SPEC §2)
- :mod:`carbonbalance.casa`          improved CASA NPP, RH and NEP (SPEC §3)
- :mod:`carbonbalance.emissions`     allocation to the grid and unit accounting (SPEC §4)
- :mod:`carbonbalance.zonal`         zonal statistics at every level (SPEC §5)
- :mod:`carbonbalance.budget`        budget, indices, zoning, compensation, LMDI (SPEC §6)
- :mod:`carbonbalance.spatial`       spatial statistics and inequality (SPEC §7)
- :mod:`carbonbalance.econometrics`  spatial panel models and MGWR (SPEC §8)
- :mod:`carbonbalance.ensemble`      members over choices and coefficients, intervals, zone stability (SPEC §9)
- :mod:`carbonbalance.plots`         every figure
- :mod:`carbonbalance.demo`          the embedded, deterministic demo region
"""

from carbonbalance.errors import CarbonBalanceError, ConfigError, InputError

__all__ = ["CarbonBalanceError", "ConfigError", "InputError", "__version__"]
__version__ = "0.1.0"
