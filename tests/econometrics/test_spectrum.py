"""W's spectrum: the symmetric path equals the general one."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance import econometrics as em
from carbonbalance import spatial
from carbonbalance.demo.geometry import make_boundaries
from carbonbalance.econometrics.spectrum import Spatial


@pytest.fixture(scope="module")
def demo_counties():
    """62 demo counties (3 provinces × 4 cities × 5 counties, plus the island and the tiny district)."""
    gdf = make_boundaries(np.random.default_rng(5), n_provinces=3, cities_per_province=4, counties_per_city=5)
    gdf = gdf.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs")
    w = spatial.weights(gdf, kind="queen", islands="nearest")
    W = w.full()[0]
    ids = [str(i) for i in range(len(gdf))]
    wdf = pd.DataFrame(W, index=ids, columns=ids)
    return gdf, W, wdf


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
