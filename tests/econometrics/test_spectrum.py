"""W's spectrum: the symmetric path equals the general one."""

import numpy as np

from carbonbalance import econometrics as em
from carbonbalance import spatial
from carbonbalance.econometrics.spectrum import Spatial


def test_symmetrizer_gives_the_same_spectrum(demo_counties):
    """Row-standardised symmetric weights take the symmetric eigen path; KNN does not."""
    gdf, W, _ = demo_counties
    from scipy import sparse

    for w in (spatial.weights(gdf, kind="queen"), spatial.weights(gdf, kind="inverse_distance", power=2)):
        mat = sparse.csr_matrix(w.full()[0])
        d = em.symmetrizer(mat)
        assert d is not None and (d > 0).all()
        fast = np.sort(Spatial.of(mat).eig.real)
        np.testing.assert_allclose(fast, np.sort(np.linalg.eigvals(mat.toarray()).real), atol=1e-10)
    knn = sparse.csr_matrix(spatial.weights(gdf, kind="knn", k=3).full()[0])
    assert em.symmetrizer(knn) is None
    assert Spatial.of(knn).row_standardised
