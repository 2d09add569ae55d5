"""Ensembles (SPEC §9): how sure is each result.

Modules, top-down: :mod:`~carbonbalance.ensemble.stage` (each member's zonal and budget
tables from the baseline's outputs and its own) → :mod:`~carbonbalance.ensemble.summary`
(intervals, zone stability, one-at-a-time sensitivity, spread of Moran's I and the Dagum
Gini) → :mod:`~carbonbalance.ensemble.members` (the members and what each one reruns; only
the standard library, the workflow builds the members while it loads).
"""
