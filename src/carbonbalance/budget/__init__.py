"""Budget, balance indices, zoning, compensation and decomposition (SPEC §6).

Modules, top-down: :mod:`~carbonbalance.budget.stage` (the tables of one level) →
:mod:`~carbonbalance.budget.indices`, :mod:`~carbonbalance.budget.zoning`,
:mod:`~carbonbalance.budget.compensation`, :mod:`~carbonbalance.budget.lmdi` →
:mod:`~carbonbalance.budget.params` (the ``tables`` section).
"""
