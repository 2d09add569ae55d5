"""NDVI histograms per vegetation type and the percentiles read from them."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.casa import histogram


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 3000), q=st.floats(0, 100))
def test_histogram_percentile_within_one_bin_of_numpy(seed, n, q):
    v = np.random.default_rng(seed).beta(2, 3, n)
    v = v[v > 0]
    width = 1e-4
    counts = np.bincount(np.minimum((v / width).astype(int), 9999), minlength=10000)
    assert abs(histogram.histogram_percentile(counts, q, width) - np.percentile(v, q)) < width


def test_ndvi_histogram_counts_positive_ndvi_per_type_inside_the_mask():
    rng = np.random.default_rng(3)
    ndvi = rng.uniform(-0.2, 1.0, (12, 20, 30))
    ndvi[3, 4, 5] = np.nan
    ndvi[0, 0, 0] = 1.0  # the top edge goes to the last bin
    vtype = rng.integers(-1, 9, (20, 30)).astype("int8")
    mask = rng.random((20, 30)) > 0.2
    nbins, width = 10_000, 1e-4
    counts = histogram.ndvi_histogram(ndvi, vtype, mask, nbins, width)
    for k in range(9):
        v = ndvi[:, (vtype == k) & mask]
        v = v[v > 0]
        expected = np.bincount(np.minimum((v / width).astype(int), nbins - 1), minlength=nbins)
        np.testing.assert_array_equal(counts[k], expected, err_msg=f"type {k}")
    assert counts.sum() == int(sum(((ndvi[:, (vtype == k) & mask]) > 0).sum() for k in range(9)))
