"""NDVI histograms per CASA vegetation type and percentiles from them (SPEC §3 NDVI limits).

The ``percentile`` NDVI limits are the 5th/95th percentiles of NDVI > 0 over all valid
cell-months of a type; summing integer histograms over chunks makes them independent of
the chunking, within one bin width of numpy's exact ``linear`` percentile.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def ndvi_histogram(ndvi, vtype, mask, nbins, width):
    """Counts of NDVI > 0 per CASA type in bins of ``width`` over (0, nbins*width].

    ndvi (12, ny, nx) float; vtype (ny, nx) int8; mask (ny, nx) bool (study area).
    Returns int64 (NTYPES, nbins).
    """
    counts = np.zeros((9, nbins), dtype=np.int64)
    inv_width = 1.0 / width
    ny = vtype.shape[0]
    nx = vtype.shape[1]
    for i in range(ny):
        for j in range(nx):
            k = vtype[i, j]
            if k < 0 or not mask[i, j]:
                continue
            for m in range(12):
                v = ndvi[m, i, j]
                if v > 0.0:  # False for NaN
                    b = int(v * inv_width)
                    if b >= nbins:
                        b = nbins - 1
                    counts[k, b] += 1
    return counts


def histogram_percentile(counts: np.ndarray, q: float, width: float) -> float:
    """Percentile ``q`` (0–100) of the values behind a histogram of bins ``[b*w, (b+1)*w)``.

    Follows numpy's default ('linear') definition, rank h = (n − 1)·q/100 between the
    sorted values; the value of rank r inside a bin with c values is placed at
    ``lo + (r − start + 0.5)/c · width``.  Every estimate lies in the same bin as the
    exact order statistic, so the error is below ``width``.
    """
    n = int(counts.sum())
    if n == 0:
        return math.nan
    cum = np.cumsum(counts)
    h = (n - 1) * q / 100.0

    def at_rank(r: int) -> float:
        b = int(np.searchsorted(cum, r, side="right"))
        start = cum[b - 1] if b > 0 else 0
        return (b + (r - start + 0.5) / counts[b]) * width

    lo_r = int(math.floor(h))
    hi_r = min(lo_r + 1, n - 1)
    frac = h - lo_r
    return at_rank(lo_r) + frac * (at_rank(hi_r) - at_rank(lo_r))
