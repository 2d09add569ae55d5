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
