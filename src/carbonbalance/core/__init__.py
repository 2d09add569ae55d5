"""Building blocks every stage shares: the grid (:mod:`~carbonbalance.core.grid`), blocks
and threads (:mod:`~carbonbalance.core.blocks`), the one cell-to-unit assignment
(:mod:`~carbonbalance.core.assignment`), class lookups, constants, atomic files and
stores (:mod:`~carbonbalance.core.store`), run metadata, config checks
(:mod:`~carbonbalance.core.config`), typed parameters (:mod:`~carbonbalance.core.params`)
and the numba helpers shared by kernels (:mod:`~carbonbalance.core.runs`).  Nothing here
imports a stage.
"""
