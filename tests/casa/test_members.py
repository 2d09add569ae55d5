"""A batch of εmax members in one CASA pass (SPEC §9) equals separate runs bit for bit."""

import dataclasses

import dask.array as da
import numpy as np
from conftest import random_casa_inputs

from carbonbalance.casa.engine import casa_members_stacked, casa_stacked, ndvi_limits
from carbonbalance.casa.params import ANNUAL_TERMS, TYPES, CasaParams


def test_each_member_equals_a_separate_run_with_its_eps_max():
    rng = np.random.default_rng(11)
    nd, T, P, S, vt = random_casa_inputs(rng, 37, 45)
    nd[3:5, 4:9, 2:11] = np.nan  # missing months, filled with FPARmin
    base = CasaParams()
    ndd = da.from_array(nd, chunks=(12, 16, 16))
    vtd = da.from_array(vt, chunks=(16, 16))
    mins, maxs, _ = ndvi_limits(ndd, vtd, base)
    eps = base.eps_max_array()[None] * rng.uniform(0.85, 1.15, (5, len(TYPES)))
    eps[0] = base.eps_max_array()  # the baseline among them
    members = casa_members_stacked(nd, T, P, S, vtd, base, mins, maxs, eps).compute()
    assert members.shape == (5, 3, 37, 45) and members.dtype == np.float32
    a0 = len(ANNUAL_TERMS)
    for b in range(5):
        p = dataclasses.replace(base, eps_max=dict(zip(TYPES, eps[b].tolist())))
        run = casa_stacked(nd, T, P, S, vtd, p, mins, maxs, terms=()).compute()
        assert run.shape[0] == a0
        for q in range(3):  # npp, rh, nep
            np.testing.assert_array_equal(members[b, q], run[q])
    computed = np.isfinite(members[0, 0])
    assert computed.sum() > 100 and not np.isfinite(members[:, :, vt < 0]).any()
    # NPP scales with εmax per type; RH does not depend on it
    some = computed & (np.abs(members[0, 0]) > 1.0)
    k = vt[some].astype(int)
    ratio = members[1, 0][some] / members[0, 0][some]
    np.testing.assert_allclose(ratio, eps[1, k] / eps[0, k], rtol=1e-5)
    np.testing.assert_array_equal(members[1, 1], members[0, 1])
