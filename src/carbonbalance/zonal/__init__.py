"""Zonal statistics (SPEC §5) on the run's unit assignment.

Modules, top-down: :mod:`~carbonbalance.zonal.stage` (the statistics of one year per
finest unit) → :mod:`~carbonbalance.zonal.engine` (sums per unit over row bands) →
:mod:`~carbonbalance.zonal.kernels` (numba); :mod:`~carbonbalance.zonal.levels` builds every
level from the finest units.
"""
