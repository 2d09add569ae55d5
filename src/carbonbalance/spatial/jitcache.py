"""On-disk caching of esda's numba kernels.

esda's conditional-permutation kernels (``esda.crand`` and the local statistics built on it)
are ``@njit`` without ``cache=True``, so every process compiles them again: about 10 s per
Snakemake job before the first LISA or Gi* is computed, more than the statistics themselves
at county scale.  :func:`cache_esda_kernels` turns numba's on-disk cache on for those
dispatchers before their first call (the same code, compiled once per machine, results
unchanged; tested against a fresh esda call in ``tests/spatial``).
"""

from __future__ import annotations

import importlib

_MODULES = ("esda.crand", "esda.moran", "esda.getisord")
_DONE: set = set()


def cache_esda_kernels() -> int:
    """Enable numba's cache on every esda numba dispatcher not compiled yet; returns how many."""
    from numba.core.registry import CPUDispatcher

    n = 0
    for name in _MODULES:
        if name in _DONE:
            continue
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and not value.overloads:
                try:
                    value.enable_caching()
                    n += 1
                except Exception:  # pragma: no cover - a read-only install without a cache dir
                    pass
        _DONE.add(name)
    return n
