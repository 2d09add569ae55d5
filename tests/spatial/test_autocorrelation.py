"""Global and local Moran's I against esda; analytic moments by exhaustive permutation."""

import numpy as np
import pytest

from carbonbalance.spatial.autocorrelation import global_moran, local_moran
from carbonbalance.spatial.neighbours import weights


def test_global_moran_equals_esda(lattice):
    from esda.moran import Moran

    gdf, y = lattice
    w = weights(gdf)
    r = global_moran(y, w, permutations=199, seed=3)
    np.random.seed(3)
    m = Moran(y, w, permutations=199)
    for ours, theirs in (
        (r.I, m.I),
        (r.expected, m.EI),
        (r.sd_norm, m.seI_norm),
        (r.z_norm, m.z_norm),
        (r.p_norm, m.p_norm),
        (r.sd_rand, m.seI_rand),
        (r.z_rand, m.z_rand),
        (r.p_rand, m.p_rand),
        (r.p_sim, m.p_sim),
    ):
        assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-14)
    assert r.I > 0


def test_local_moran_analytic_and_permutation_follow_esda(lattice):
    from esda.moran import Moran_Local

    gdf, y = lattice
    w = weights(gdf)
    n = len(y)
    lm = Moran_Local(y, w, permutations=499, seed=7)
    a = local_moran(y, w)
    np.testing.assert_allclose(a["Ii"], lm.Is * n / (n - 1), rtol=1e-10)
    quad = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    assert a["quadrant"].tolist() == [quad[q] for q in lm.q]
    perm = local_moran(y, w, inference="permutation", permutations=499, seed=7)
    np.testing.assert_allclose(perm["p"], lm.p_sim)
    assert set(a.loc[a["p"] >= 0.05, "cluster"]) <= {"ns"}
    assert (a.loc[a["p"] < 0.05, "cluster"] == a.loc[a["p"] < 0.05, "quadrant"]).all()


def test_local_moran_analytic_moments_equal_exhaustive_total_randomisation():
    """Anselin's (1995) E[I_i] and Var[I_i] are the mean and variance of I_i over all n!
    permutations of the values (total randomisation); checked exhaustively for n = 6."""
    import itertools

    from libpysal.weights import W

    neighbors = {0: [1, 2], 1: [0, 3], 2: [0, 3, 4], 3: [1, 2, 5], 4: [2, 5], 5: [3, 4]}
    w = W(neighbors, silence_warnings=True)
    w.transform = "r"
    y = np.array([3.0, 7.0, 1.0, 4.0, 9.0, 2.5])
    res = local_moran(y, w)
    W_ = w.full()[0]
    n = len(y)
    sims = []
    for perm in itertools.permutations(range(n)):
        yp = y[list(perm)]
        z = yp - yp.mean()
        sims.append(z / ((z**2).sum() / n) * (W_ @ z))
    sims = np.array(sims)
    z_exact = (res["Ii"].to_numpy() - sims.mean(axis=0)) / sims.std(axis=0)
    np.testing.assert_allclose(res["z"], z_exact, rtol=1e-10)
