"""Atomic outputs: a rewritten output removes the temporaries a killed job left."""

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
