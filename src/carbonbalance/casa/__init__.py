"""Improved CASA (SPEC §3): monthly NPP, heterotrophic respiration and NEP.

Modules, top-down: :mod:`~carbonbalance.casa.stage` (one year from the aligned stores to
the outputs) → :mod:`~carbonbalance.casa.engine` (dask driver, NDVI limits, summaries) →
:mod:`~carbonbalance.casa.kernels` and :mod:`~carbonbalance.casa.histogram` (numba) →
:mod:`~carbonbalance.casa.params` (the
``casa`` section and the tables); :mod:`~carbonbalance.casa.cell` runs the kernel on one
cell (:func:`run_cell`), :mod:`~carbonbalance.casa.reference` is an independent numpy
implementation used by the tests.
"""

from carbonbalance.casa.cell import run_cell
from carbonbalance.casa.params import TYPES, CasaParams

__all__ = ["TYPES", "CasaParams", "run_cell"]
