"""Blocks and threads: in-memory arrays viewed as dask arrays without copies."""

import numpy as np


def test_chunked_view_does_not_copy():
    from carbonbalance.core.blocks import chunked_view

    a = np.arange(12 * 9 * 7, dtype="float32").reshape(12, 9, 7)
    v = chunked_view(a, (12, 4, 3))
    assert v.chunks == ((12,), (4, 4, 1), (3, 3, 1))
    np.testing.assert_array_equal(v.compute(), a)
    shared = v.map_blocks(
        lambda b: np.array([[[np.shares_memory(b, a)]]]), dtype=bool, chunks=((1,), (1,) * 3, (1,) * 3)
    ).compute()
    assert shared.all()


class _Recorder:
    """A store target that holds state in the calling process (as the GeoTIFF and packed
    Zarr writers do): a cluster must not get it, only the blocks to write into it."""

    def __init__(self, shape):
        import threading

        self.array, self.writes, self.pid = np.full(shape, np.nan), 0, __import__("os").getpid()
        self._lock = threading.Lock()

    def __reduce__(self):
        raise TypeError("a store target must stay in the job's process")

    def __setitem__(self, region, block):
        assert __import__("os").getpid() == self.pid
        with self._lock:
            self.array[region] = block
            self.writes += 1


def test_a_local_cluster_gives_the_threaded_results():
    """compute, run_blocks (with an in-process sink), store and chunked_view on a distributed
    LocalCluster (dask.scheduler: local) equal the threaded scheduler's, in order; the
    function of run_blocks goes to the workers once, the store targets never."""
    import os

    import dask.array as da

    from carbonbalance.core.blocks import DaskParams, chunked_view, compute, run_blocks, scheduler, store

    a = np.arange(120.0).reshape(10, 12)
    items = list(range(7))

    def work():
        view = chunked_view(a, (4, 5))
        total = compute((view * 2).sum(), da.from_array(a, chunks=3).mean(axis=0), threads=2, label="test")
        sunk = []
        plain = run_blocks(lambda k: a[k].sum() * k, items, threads=2, label="blocks")
        pids = run_blocks(lambda k: os.getpid(), items, threads=2, sink=lambda k, r: (sunk.append(k), r)[1])
        monthly, annual = _Recorder((3, 10, 12)), _Recorder((10, 12))
        stack = da.stack([view, view + 1, view * 3])
        (mean,) = store([stack, stack.sum(axis=0)], [monthly, annual], stack.mean(), threads=2, label="store")
        return total, plain, sorted(sunk), set(pids), monthly, annual, mean

    want = work()
    with scheduler(DaskParams(scheduler="local"), threads=2, mem_mb=1000) as client:
        assert client is not None and len(client.scheduler_info()["workers"]) == 2
        got = work()
    assert got[0][0] == want[0][0]
    np.testing.assert_array_equal(got[0][1], want[0][1])
    assert got[1] == want[1] and got[2] == want[2] == items
    assert want[3] == {os.getpid()} and os.getpid() not in got[3]  # computed on the workers
    for w, g in zip(want[4:6], got[4:6]):
        np.testing.assert_array_equal(g.array, w.array)
        assert not np.isnan(g.array).any() and g.writes == w.writes >= 9
    assert got[6] == want[6]
    with scheduler(DaskParams(), threads=2) as client:  # threads: no cluster
        assert client is None
