"""Compact store encodings: CF packing per variable, decoded to float32 within the stated precision."""

import numpy as np
import zarr

from carbonbalance.core.encoding import PACKINGS, Packing, packing
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import create_store, open_store, write_block


def test_every_packing_round_trips_within_its_precision_over_its_range():
    rng = np.random.default_rng(0)
    for name, pk in [(n, p) for store in PACKINGS.values() for n, p in store.items()]:
        lo, hi = pk.valid_range
        v = np.concatenate([rng.uniform(lo, hi, 10_000), [lo, hi, np.nan]])
        q, outside = pk.pack(v)
        assert outside == 0 and q.dtype == np.dtype(pk.dtype), name
        back = np.where(q == pk.fill, np.nan, q * pk.scale + pk.offset)
        assert np.isnan(back[-1]) and not np.isnan(back[:-1]).any(), name
        assert np.max(np.abs(back[:-1] - v[:-1])) <= pk.precision * (1 + 1e-9), name


def test_values_outside_the_range_are_counted_and_stored_as_no_data():
    pk = Packing("uint16", 0.1)
    q, outside = pk.pack(np.array([-1.0, 0.0, 6553.4, 6553.6, np.inf]))
    assert outside == 3 and q.tolist() == [65535, 0, 65534, 65535, 65535]


def test_store_packs_on_write_and_decodes_to_float32_with_nan(tmp_path):
    grid = GridSpec.from_bounds("EPSG:3857", 1000, [0, 0, 40_000, 20_000], chunk=16)
    path = tmp_path / "s.zarr"
    create_store(
        path,
        grid,
        {
            "temperature": {"dtype": "float32", "attrs": {"units": "degC"}, "packing": packing("temperature")},
            "population": {"dtype": "float32", "attrs": {"units": "persons"}},
        },
    )
    rng = np.random.default_rng(1)
    t = rng.uniform(-40, 40, grid.shape).astype("float32")
    t[0, :3] = np.nan
    p = rng.lognormal(3, 1, grid.shape).astype("float32")
    assert write_block(path, "temperature", t, slice(None), slice(None)) == 0
    write_block(path, "population", p, slice(None), slice(None))
    raw = zarr.open_array(str(path / "temperature"))
    assert raw.dtype == np.int16 and raw.fill_value == -32768 and raw.attrs["scale_factor"] == 0.01
    ds = open_store(path)
    assert ds["temperature"].dtype == np.float32 and ds["temperature"].attrs["units"] == "degC"
    v = ds["temperature"].values
    assert np.isnan(v[0, :3]).all() and np.isfinite(v[1:]).all()
    np.testing.assert_allclose(v, t, atol=0.005 + 1e-5)
    # quantities whose totals are allocated are stored losslessly
    np.testing.assert_array_equal(ds["population"].values, p)
    assert (
        write_block(path, "temperature", np.full(grid.shape, 500.0), slice(None), slice(None))
        == grid.width * grid.height
    )


def test_every_aligned_value_that_passes_the_plausibility_check_fits_its_encoding():
    """The ingest checks stop values outside PLAUSIBLE before they are written, so packing
    never has to drop a value that passed them (cubic overshoot has room to spare)."""
    from carbonbalance.ingest.params import PLAUSIBLE

    for name, (lo, hi) in PLAUSIBLE.items():
        pk = packing(name)
        if pk is not None:
            plo, phi = pk.valid_range
            assert plo <= lo and hi * 1.05 <= phi, name
