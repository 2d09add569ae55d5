"""Atomic outputs: a rewritten output removes the temporaries a killed job left."""

from helpers import store_of_every_kind

from carbonbalance.core.store import atomic_output


def test_stale_temporaries_of_a_killed_job_are_removed(tmp_path):
    out = tmp_path / "2019" / "ndvi.zarr"
    out.parent.mkdir()
    stale = out.parent / ".ndvi.zarr.k3j_x9.tmp"
    (stale / "ndvi.zarr").mkdir(parents=True)
    other = out.parent / ".temperature.zarr.ab12.tmp"
    other.mkdir()
    with atomic_output(out, directory=True) as tmp:
        tmp.mkdir()
    assert out.is_dir() and not stale.exists() and other.exists()  # only this output's leftovers


def test_store_reader_decodes_every_kind_of_variable_as_open_store_does(tmp_path):
    import numpy as np

    from carbonbalance.core.store import StoreReader, open_store

    grid, paths = store_of_every_kind(tmp_path)
    for var, path in paths.items():
        expected = open_store(path)[var]
        reader = StoreReader(path, var)
        for rows, cols in ((slice(None), slice(None)), (slice(3, 21), slice(5, 17)), (slice(20, 24), slice(0, 40))):
            got = reader(rows, cols)
            want = expected[..., rows, cols].values
            assert got.dtype == want.dtype, var
            np.testing.assert_array_equal(got, want, err_msg=var)  # bit for bit, NaN where no data
        assert np.isnan(reader(slice(None))).any(), var
