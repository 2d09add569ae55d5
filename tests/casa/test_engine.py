"""CASA over a grid with dask: NDVI limits and chunk invariance."""

import dask.array as da
import numpy as np
from conftest import random_casa_inputs

from carbonbalance.casa import params
from carbonbalance.casa.engine import casa_stacked, ndvi_limits
from carbonbalance.casa.params import TYPES, CasaParams
from carbonbalance.casa.reference import ndvi_percentile_limits


def test_ndvi_limits_match_exact_percentiles_and_fall_back_for_rare_types():
    rng = np.random.default_rng(5)
    nd, T, P, S, vt = random_casa_inputs(rng, 40, 50)
    vt[vt == TYPES.index("DNF")] = TYPES.index("DBF")
    vt[0, 0] = TYPES.index("DNF")  # one cell, at most 12 cell-months < min_percentile_samples
    p = CasaParams()
    mask = rng.random(vt.shape) > 0.2
    mins, maxs, rec = ndvi_limits(
        da.from_array(nd, chunks=(12, 16, 16)),
        da.from_array(vt, chunks=(16, 16)),
        p,
        mask=da.from_array(mask, chunks=(16, 16)),
    )
    ex_min, ex_max = ndvi_percentile_limits(nd, vt, p, mask=mask)
    np.testing.assert_allclose(mins, ex_min, atol=1e-4)
    np.testing.assert_allclose(maxs, ex_max, atol=1e-4)
    assert rec["types"]["DNF"]["source"].startswith("table (only")
    assert (mins[2], maxs[2]) == params.NDVI_TABLE["DNF"] and TYPES[2] == "DNF"
    assert rec["types"]["ENF"]["source"] == "percentile"


def test_grid_output_identical_for_three_chunk_shapes():
    rng = np.random.default_rng(3)
    nd, T, P, S, vt = random_casa_inputs(rng, 45, 61)
    nd[:, 5:9, 7:20] = np.nan
    p = CasaParams()
    results = []
    for chunks in ((45, 61), (16, 16), (7, 13)):  # whole, dividing neither axis, odd
        ndd = da.from_array(nd, chunks=(12,) + chunks)
        vtd = da.from_array(vt, chunks=chunks)
        mins, maxs, _ = ndvi_limits(ndd, vtd, p)
        out = casa_stacked(ndd, T, P, S, vtd, p, mins, maxs).compute()
        results.append((mins, maxs, out))
    for mins, maxs, out in results[1:]:
        np.testing.assert_array_equal(mins, results[0][0])
        np.testing.assert_array_equal(maxs, results[0][1])
        np.testing.assert_array_equal(out, results[0][2])
