"""Running dask graphs on the threads a rule was given (with progress in the log), and
in-memory arrays as dask arrays without copies."""

from __future__ import annotations

import logging
import time

import dask
import dask.array as da
import numpy as np
from dask.callbacks import Callback

log = logging.getLogger(__name__)


class LogProgress(Callback):
    """Log ``label: k % of n tasks`` at every ``step`` percent (and the elapsed time)."""

    def __init__(self, label: str, logger: logging.Logger = log, step: int = 10):
        super().__init__()
        self.label, self.logger, self.step = label, logger, step

    def _start_state(self, dsk, state):
        self.t0 = time.perf_counter()
        self.next = self.step

    def _posttask(self, key, result, dsk, state, worker_id):
        done = len(state["finished"])
        total = done + sum(len(state[k]) for k in ("ready", "waiting", "running"))
        pct = 100 * done / max(total, 1)
        if pct >= self.next:
            self.logger.info("%s: %3.0f %% of %d tasks, %.1f s", self.label, pct, total, time.perf_counter() - self.t0)
            while self.next <= pct:
                self.next += self.step


def compute(*objs, threads: int = 1, label: str | None = None):
    """``dask.compute`` on a thread pool of ``threads`` workers, logging progress if labelled."""
    kw = dict(scheduler="threads", num_workers=max(1, int(threads)))
    if label is None:
        return dask.compute(*objs, **kw)
    with LogProgress(label):
        return dask.compute(*objs, **kw)


def chunked_view(a: np.ndarray, chunks) -> da.Array:
    """A dask array over the in-memory ``a`` whose chunks are views of it.

    ``dask.array.from_array`` copies numpy inputs chunk by chunk when the graph is
    built, which doubles the memory of a China-size grid held in memory; the explicit
    name spares dask hashing the whole array (0.6 s per GB).
    """
    import uuid

    from dask.array.core import normalize_chunks

    chunks = normalize_chunks(chunks, a.shape, dtype=a.dtype)

    def block(block_info=None):
        return a[tuple(slice(s, e) for s, e in block_info[None]["array-location"])]

    return da.map_blocks(
        block,
        chunks=chunks,
        dtype=a.dtype,
        meta=np.empty((0,) * a.ndim, a.dtype),
        name=f"chunked-view-{uuid.uuid4().hex}",
    )


def block_slices(shape, block) -> list[tuple[slice, slice]]:
    """(rows, cols) slices tiling a 2-d ``shape`` with blocks of at most ``block`` = (h, w)."""
    ny, nx = shape
    h, w = max(1, int(block[0])), max(1, int(block[1]))
    return [(slice(r, min(r + h, ny)), slice(c, min(c + w, nx))) for r in range(0, ny, h) for c in range(0, nx, w)]


def read_block(a, rows: slice, cols: slice) -> np.ndarray:
    """One 2-d block of a numpy array (a view), a dask array or a DataArray (read now)."""
    if hasattr(a, "dims") and hasattr(a, "data"):  # xarray.DataArray
        a = a.data
    if isinstance(a, da.Array):
        return np.asarray(a[rows, cols].compute(scheduler="synchronous"))
    return a[rows, cols]


def run_blocks(fn, items, threads: int = 1, label: str | None = None, logger: logging.Logger = log) -> list:
    """``[fn(item) for item in items]`` on a pool of ``threads`` threads, in order.

    For many small nogil kernel calls over in-memory or lazily read blocks: a thread pool
    costs well under a millisecond per pass, dask's threaded scheduler about 15 ms per
    ``compute`` of 20 blocks (measured), which is more than the kernels of a whole pass.
    Progress is logged every 10 % when ``label`` is given.
    """
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    n = len(items)
    if threads <= 1 or n <= 1:
        results = []
        t0 = time.perf_counter()
        for k, item in enumerate(items):
            results.append(fn(item))
            _progress(label, logger, k + 1, n, t0)
        return results
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=int(threads)) as pool:
        futures = [pool.submit(fn, item) for item in items]
        results = []
        for k, f in enumerate(futures):
            results.append(f.result())
            _progress(label, logger, k + 1, n, t0)
    return results


def _progress(label, logger, done: int, n: int, t0: float) -> None:
    if label is not None and n >= 10 and (10 * done // n) != (10 * (done - 1) // n):
        logger.info("%s: %3.0f %% of %d blocks, %.1f s", label, 100 * done / n, n, time.perf_counter() - t0)
