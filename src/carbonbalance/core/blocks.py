"""Running dask graphs on the threads a rule was given (with progress in the log), or on a
dask distributed cluster (config section ``dask``), and in-memory arrays as dask arrays
without copies."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import ClassVar

import dask
import dask.array as da
import numpy as np
from dask.callbacks import Callback

from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError

log = logging.getLogger(__name__)

#: the distributed client of the running job (None: dask's threaded scheduler)
_CLIENT = None


@dataclass
class DaskParams(Section):
    """``dask.scheduler``: where the raster rules (alignment, CASA, emissions, zonal statistics)
    run their block graphs: ``threads`` (a pool of the rule's threads, the default), ``local``
    (a ``distributed.LocalCluster`` of one single-threaded worker process per rule thread,
    sharing the rule's ``mem_mb``) or the address of a running scheduler
    (``tcp://host:8786``, e.g. one that ``dask-jobqueue`` started on SLURM, whose workers
    bring their own memory limits)."""

    section: ClassVar[str] = "dask"
    scheduler: str = "threads"

    def check(self) -> None:
        s = self.scheduler
        if s not in ("threads", "local") and "://" not in s:
            raise ConfigError(
                f"dask.scheduler: {s!r} is neither 'threads', 'local' nor a scheduler address such as 'tcp://host:8786'"
            )


@contextlib.contextmanager
def _main_not_reimported():
    """Worker processes start by "spawn", which imports the parent's ``__main__`` file again:
    for a Snakemake script (no ``if __name__ == "__main__"`` guard) that would rerun the job in
    every worker.  Without ``__main__.__file__`` multiprocessing skips that import."""
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is not None and getattr(main, "__spec__", None) is None:
        del main.__file__
        try:
            yield
        finally:
            main.__file__ = path
    else:
        yield


@contextlib.contextmanager
def scheduler(params: DaskParams | None, threads: int, mem_mb: int | None = None):
    """Run the block graphs of the ``with`` body on ``params.scheduler``; yields the
    distributed client (None for threads).  A ``local`` cluster gets ``threads`` worker
    processes of one thread each and ``mem_mb / threads`` of memory each."""
    global _CLIENT
    spec = "threads" if params is None else params.scheduler
    if spec == "threads":
        yield None
        return
    from distributed import Client, LocalCluster

    cluster = None
    if spec == "local":
        n = max(1, int(threads))
        limit = f"{int(mem_mb) // n}MB" if mem_mb else "auto"
        with _main_not_reimported():
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, memory_limit=limit,
                                   dashboard_address=None)  # fmt: skip
        log.info("dask: LocalCluster of %d worker processes, %s each", n, limit)
        client = Client(cluster)
    else:
        client = Client(spec)
        log.info("dask: scheduler %s, %d workers", spec, len(client.scheduler_info()["workers"]))
    _CLIENT = client
    try:
        yield client
    finally:
        _CLIENT = None
        client.close()
        if cluster is not None:
            cluster.close()


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
    """``dask.compute`` on a thread pool of ``threads`` workers (or the job's distributed
    cluster, see :func:`scheduler`), logging progress if labelled."""
    if _CLIENT is not None:
        t0 = time.perf_counter()
        out = dask.compute(*objs, scheduler=_CLIENT.get)
        if label is not None:
            log.info("%s: done on the distributed cluster, %.1f s", label, time.perf_counter() - t0)
        return out
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
    if _CLIENT is not None:  # the array goes to the cluster once, as one key of the graph
        return da.from_array(a, chunks=chunks)

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
    if _CLIENT is not None:
        from distributed import as_completed

        t0 = time.perf_counter()
        futures = _CLIENT.map(fn, items, pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        results = [None] * n
        for done, f in enumerate(as_completed(futures), 1):
            results[index[f.key]] = f.result()
            _progress(label, logger, done, n, t0)
        return results
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
