"""carbonbalance: regional carbon budgets from rasters and yearbook tables.

The library holds pure, importable functions; the Snakemake workflow in
``workflow/`` only adapts them to files.  Modules:

- :mod:`carbonbalance.grid`       target grid, cell areas, block iteration
- :mod:`carbonbalance.units`      unit conversions to the canonical units of SPEC §1
- :mod:`carbonbalance.ingest`     raster decoding, validation and alignment (SPEC §2)
- :mod:`carbonbalance.store`      chunked Zarr stores and atomic writes
- :mod:`carbonbalance.boundaries` administrative hierarchy checks
- :mod:`carbonbalance.statistics` yearbook table validation
- :mod:`carbonbalance.demo`       the embedded, deterministic demo region
- :mod:`carbonbalance.casa`       improved CASA NPP, RH and NEP (SPEC §3)
"""

from carbonbalance.errors import CarbonBalanceError, ConfigError, InputError

__all__ = ["CarbonBalanceError", "ConfigError", "InputError", "__version__"]
__version__ = "0.1.0"
