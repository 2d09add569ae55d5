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
    distributed client (None for threads).

    A ``local`` cluster gets ``threads`` worker processes of one thread each and
    ``mem_mb / threads`` of memory each (the job's ``mem_mb`` counts their start-up memory,
    :data:`~carbonbalance.core.resources.DASK_WORKER_MB` each).  The limit is where a worker
    is restarted, as SLURM would kill the job: workers neither spill blocks to disk nor
    pause (a paused worker of a job whose blocks all fit would wait forever).
    """
    global _CLIENT
    spec = "threads" if params is None else params.scheduler
    if spec == "threads":
        yield None
        return
    from distributed import Client, LocalCluster

    for name in ("distributed", "tornado"):  # their start-up chatter stays out of the rule's log
        logging.getLogger(name).setLevel(logging.WARNING)
    cluster = None
    memory = {f"distributed.worker.memory.{k}": False for k in ("target", "spill", "pause")}
    if spec == "local":
        n = max(1, int(threads))
        limit = f"{int(mem_mb) // n}MB" if mem_mb else "auto"
        with dask.config.set(memory), _main_not_reimported():
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


def _call(fn, item):
    return fn(item)


def run_blocks(fn, items, threads: int = 1, label: str | None = None, logger: logging.Logger = log, sink=None) -> list:
    """``[fn(item) for item in items]`` on a pool of ``threads`` threads, in order.

    For many small nogil kernel calls over in-memory or lazily read blocks: a thread pool
    costs well under a millisecond per pass, dask's threaded scheduler about 15 ms per
    ``compute`` of 20 blocks (measured), which is more than the kernels of a whole pass.
    Progress is logged every 10 % when ``label`` is given.

    ``sink(item, result)``, if given, runs in this process (it may write to files it holds
    open) and what it returns takes the result's place in the list: on threads it runs in
    the worker thread right after ``fn`` (it must be thread-safe), on a distributed cluster
    (:func:`scheduler`) as each block's result arrives.  ``fn`` goes to the cluster once
    per worker (scattered), not once per block.
    """
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    n = len(items)
    t0 = time.perf_counter()
    if _CLIENT is not None:
        from distributed import as_completed

        remote = _CLIENT.scatter(fn, broadcast=True, hash=False)
        futures = _CLIENT.map(_call, [remote] * n, items, pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        results = [None] * n
        for done, f in enumerate(as_completed(futures), 1):
            k = index[f.key]
            results[k] = f.result() if sink is None else sink(items[k], f.result())
            f.release()
            _progress(label, logger, done, n, t0)
        return results
    one = fn if sink is None else (lambda item: sink(item, fn(item)))
    if threads <= 1 or n <= 1:
        results = []
        for k, item in enumerate(items):
            results.append(one(item))
            _progress(label, logger, k + 1, n, t0)
        return results
    with ThreadPoolExecutor(max_workers=int(threads)) as pool:
        futures = [pool.submit(one, item) for item in items]
        results = []
        for k, f in enumerate(futures):
            results.append(f.result())
            _progress(label, logger, k + 1, n, t0)
    return results


def store(sources, targets, *others, threads: int = 1, label: str | None = None) -> tuple:
    """``dask.array.store(sources, targets)`` and ``compute(*others)`` in one pass over the
    shared graph; returns the computed ``others``.

    Targets are written in this process: on threads by the pool's workers (targets must
    take concurrent writes to distinct regions), on a distributed cluster as each block
    arrives from the workers, so that targets holding open files or in-process state
    (:class:`~carbonbalance.core.store.GeoTiffBlockWriter`, packed Zarr writers) never
    travel to worker processes.
    """
    if _CLIENT is None:
        stored = da.store(list(sources), list(targets), lock=False, compute=False)
        return compute(stored, *others, threads=threads, label=label)[1:]
    import itertools

    from distributed import as_completed

    t0 = time.perf_counter()
    blocks, delayed = [], []
    for source, target in zip(sources, targets):
        edges = [np.cumsum((0,) + c) for c in source.chunks]
        cells = source.to_delayed(optimize_graph=False)  # keys shared with the other sources
        for idx in itertools.product(*(range(len(c)) for c in source.chunks)):
            region = tuple(slice(int(e[i]), int(e[i + 1])) for e, i in zip(edges, idx))
            blocks.append((target, region))
            delayed.append(cells[idx])
    futures = _CLIENT.compute(delayed + [dask.delayed(list)(list(others))], optimize_graph=True)
    index = {f.key: k for k, f in enumerate(futures)}
    n, rest = len(blocks), None
    for done, f in enumerate(as_completed(futures), 1):
        k = index[f.key]
        if k == n:
            rest = f.result()
        else:
            target, region = blocks[k]
            target[region] = f.result()
        f.release()
        _progress(label, log, done, n + 1, t0)
    return tuple(rest)


def _progress(label, logger, done: int, n: int, t0: float) -> None:
    if label is not None and n >= 10 and (10 * done // n) != (10 * (done - 1) // n):
        logger.info("%s: %3.0f %% of %d blocks, %.1f s", label, 100 * done / n, n, time.perf_counter() - t0)
