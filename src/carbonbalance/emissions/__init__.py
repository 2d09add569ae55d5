"""Emissions (SPEC §4): allocation of regional totals to the grid, Jiangxi2024 accounting.

Modules, top-down: :mod:`~carbonbalance.emissions.stage` (one year's totals to the COGs
and the per-unit table) → :mod:`~carbonbalance.emissions.allocation` (the mass-conserving
driver) → :mod:`~carbonbalance.emissions.plan` (layer and factor of every group,
fallbacks) → :mod:`~carbonbalance.emissions.kernels` (numba) →
:mod:`~carbonbalance.emissions.params`; :mod:`~carbonbalance.emissions.accounting` holds
the energy accounting and the land-use absorption.
"""
