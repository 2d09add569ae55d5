"""Spatial statistics and inequality (SPEC §7).

Modules, top-down: :mod:`~carbonbalance.spatial.stage` (the tables of one level, the
emission centre per year) → :mod:`~carbonbalance.spatial.neighbours` (weights),
:mod:`~carbonbalance.spatial.autocorrelation` (Moran, LISA),
:mod:`~carbonbalance.spatial.hotspots` (Gi*), :mod:`~carbonbalance.spatial.centrography`
(centre, ellipse), :mod:`~carbonbalance.spatial.inequality` (Dagum Gini, kernel density)
→ :mod:`~carbonbalance.spatial.params` (the ``analysis`` section).
"""

from carbonbalance.spatial.autocorrelation import MoranResult, global_moran, local_moran
from carbonbalance.spatial.centrography import (
    Ellipse,
    centre_shift,
    grid_centre,
    grid_ellipse,
    grid_points,
    standard_deviational_ellipse,
    weighted_centre,
)
from carbonbalance.spatial.hotspots import confidence_class, disc_kernel, getis_ord, getis_ord_grid
from carbonbalance.spatial.inequality import dagum_gini, kernel_density, silverman_bandwidth
from carbonbalance.spatial.neighbours import weights

__all__ = [
    "Ellipse",
    "MoranResult",
    "centre_shift",
    "confidence_class",
    "dagum_gini",
    "disc_kernel",
    "getis_ord",
    "getis_ord_grid",
    "global_moran",
    "grid_centre",
    "grid_ellipse",
    "grid_points",
    "kernel_density",
    "local_moran",
    "silverman_bandwidth",
    "standard_deviational_ellipse",
    "weighted_centre",
    "weights",
]
