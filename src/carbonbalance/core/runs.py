"""Numba helpers shared by the kernels of several stages."""

from __future__ import annotations

import numba


@numba.njit(nogil=True, cache=True)
def run_end(gs, a):
    """End of the run of equal values of the 1-d ``gs`` starting at ``a`` (checked 32 cells
    at a time): the allocation and the zonal sums work on runs of equal labels along rows."""
    g = gs[a]
    nx = gs.shape[0]
    b = a + 1
    while b + 32 <= nx:
        blk = gs[b : b + 32]
        d = 0
        for t in range(32):
            d |= blk[t] ^ g
        if d != 0:
            break
        b += 32
    while b < nx and gs[b] == g:
        b += 1
    return b
