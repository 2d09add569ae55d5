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


def test_a_local_cluster_gives_the_threaded_results():
    """compute, run_blocks and chunked_view on a distributed LocalCluster (dask.scheduler:
    local) equal the threaded scheduler's, in order."""
    import dask.array as da

    from carbonbalance.core.blocks import DaskParams, chunked_view, compute, run_blocks, scheduler

    a = np.arange(120.0).reshape(10, 12)
    items = list(range(7))

    def work():
        view = chunked_view(a, (4, 5))
        total = compute((view * 2).sum(), da.from_array(a, chunks=3).mean(axis=0), threads=2, label="test")
        return total, run_blocks(lambda k: a[k].sum() * k, items, threads=2, label="blocks")

    want = work()
    with scheduler(DaskParams(scheduler="local"), threads=2, mem_mb=1000) as client:
        assert client is not None and len(client.scheduler_info()["workers"]) == 2
        got = work()
    assert got[0][0] == want[0][0]
    np.testing.assert_array_equal(got[0][1], want[0][1])
    assert got[1] == want[1]
    with scheduler(DaskParams(), threads=2) as client:  # threads: no cluster
        assert client is None
