"""Figures of every stage: :mod:`~carbonbalance.plots.base` (backend, saving),
:mod:`~carbonbalance.plots.maps` (raster and unit maps), :mod:`~carbonbalance.plots.spatial`
and :mod:`~carbonbalance.plots.econometrics`."""
