"""Centre of gravity, standard deviational ellipse and the centre's shift (SPEC §7, Zhu2026),
of points or of the cells of a raster weighted by their values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carbonbalance.errors import InputError


def weighted_centre(x, y, weights=None) -> tuple[float, float]:
    """Weighted mean centre (x̄_w, ȳ_w) of points (e.g. cell centres weighted by emissions)."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    if not ok.any():
        raise InputError("weighted_centre: no point with a positive weight")
    return float(np.average(x[ok], weights=w[ok])), float(np.average(y[ok], weights=w[ok]))


@dataclass
class Ellipse:
    cx: float
    cy: float
    angle: float  # θ of SPEC §7, radians: azimuth of the major axis clockwise from grid north
    sigma_x: float
    sigma_y: float


def standard_deviational_ellipse(x, y, weights=None) -> Ellipse:
    """Standard deviational ellipse of SPEC §7 (no CrimeStat or degrees-of-freedom correction).

    ``tan θ = [(Σw x'² − Σw y'²) + √((Σw x'² − Σw y'²)² + 4(Σw x'y')²)] / (2 Σw x'y')``,
    ``σx = √(Σw (x' cos θ − y' sin θ)² / Σw)``, ``σy = √(Σw (x' sin θ + y' cos θ)² / Σw)``.

    θ is the azimuth of the major axis, clockwise from grid north, so that σy is the spread
    along the major axis and σx across it (σy ≥ σx).  When Σw x'y' = 0 the formula's limit
    is taken: θ = 90° if the x spread is the larger (the major axis runs east-west), else 0.
    The axes equal ``pointpats.centrography.ellipse(points, weights, method="yuill",
    crimestatCorr=False, degfreedCorr=False)``'s (major, minor) = (σy, σx); its angle is the
    major axis' direction counter-clockwise from the x axis, π/2 − θ (mod π).
    """
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    x, y, w = x[ok], y[ok], w[ok]
    cx, cy = weighted_centre(x, y, w)
    xp, yp = x - cx, y - cy
    a = np.sum(w * xp**2) - np.sum(w * yp**2)
    b = np.sum(w * xp * yp)
    if b != 0:
        theta = np.arctan((a + np.sqrt(a * a + 4 * b * b)) / (2 * b))
    else:  # the limit of the formula as Σw x'y' -> 0
        theta = np.pi / 2 if a > 0 else 0.0
    sw = w.sum()
    sx = np.sqrt(np.sum(w * (xp * np.cos(theta) - yp * np.sin(theta)) ** 2) / sw)
    sy = np.sqrt(np.sum(w * (xp * np.sin(theta) + yp * np.cos(theta)) ** 2) / sw)
    return Ellipse(cx=cx, cy=cy, angle=float(theta), sigma_x=float(sx), sigma_y=float(sy))


def centre_shift(cx0, cy0, cx1, cy1) -> tuple[float, float]:
    """Distance and bearing (degrees clockwise from grid north) of a centre's move."""
    dx, dy = cx1 - cx0, cy1 - cy0
    return float(np.hypot(dx, dy)), float(np.degrees(np.arctan2(dx, dy)) % 360)


def grid_points(array, transform):
    """Cell-centre coordinates and values of the finite cells of a raster (affine ``transform``)."""
    a = np.asarray(array, dtype="float64")
    rows, cols = np.nonzero(np.isfinite(a))
    x = transform.c + (cols + 0.5) * transform.a + (rows + 0.5) * transform.b
    y = transform.f + (cols + 0.5) * transform.d + (rows + 0.5) * transform.e
    return x, y, a[rows, cols]


def grid_centre(array, transform) -> tuple[float, float]:
    """Centre of gravity of a raster layer (e.g. emissions per cell) as weights."""
    return weighted_centre(*grid_points(array, transform))


def grid_ellipse(array, transform) -> Ellipse:
    """Standard deviational ellipse of a raster layer, its cells weighted by their values."""
    x, y, w = grid_points(array, transform)
    return standard_deviational_ellipse(x, y, w)
