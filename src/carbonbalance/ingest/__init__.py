"""Ingest (SPEC §2): boundaries, the statistics table and every raster on the grid.

Modules, top-down: :mod:`~carbonbalance.ingest.stage` (alignment of one variable-year to
a store, cell areas) → :mod:`~carbonbalance.ingest.align` (decoding and resampling of a
block) → :mod:`~carbonbalance.ingest.checks` (files, coverage, distributions) →
:mod:`~carbonbalance.ingest.params` (the ``inputs`` section), with
:mod:`~carbonbalance.ingest.units`, :mod:`~carbonbalance.ingest.boundaries` and
:mod:`~carbonbalance.ingest.statistics`.
"""
