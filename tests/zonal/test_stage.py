"""The zonal stage's readers: monthly stores reduced over the year as numpy would."""

import warnings

import numpy as np
import pytest
from helpers import store_of_every_kind

from carbonbalance.core.store import open_store
from carbonbalance.zonal.kernels import month_reduce
from carbonbalance.zonal.stage import store_reader


@pytest.mark.parametrize("how", ["mean", "sum"])
def test_a_monthly_store_is_reduced_to_numpys_nan_mean_and_sum(tmp_path, how):
    grid, paths = store_of_every_kind(tmp_path)
    a = np.asarray(open_store(paths["ndvi"])["ndvi"].values, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanmean(a, axis=0) if how == "mean" else np.where(np.isfinite(a).any(0), np.nansum(a, 0), np.nan)
    read = store_reader(paths["ndvi"], "ndvi", how)
    got = np.vstack([read(slice(r, min(r + 7, grid.height))) for r in range(0, grid.height, 7)])
    np.testing.assert_array_equal(got, want)  # the same sums in the same order
    assert np.isnan(got[0, :5]).all() and np.isfinite(got[5, 5:9]).all()


def test_month_reduce_by_hand():
    v = np.array([[[1.0, np.nan]], [[2.0, np.nan]], [[np.nan, np.nan]], [[6.0, np.nan]]], dtype="float32")
    out = np.empty((1, 2))
    month_reduce(v, True, out)
    assert out[0, 0] == 3.0 and np.isnan(out[0, 1])
    month_reduce(v, False, out)
    assert out[0, 0] == 9.0 and np.isnan(out[0, 1])
