"""Fixtures of the econometrics tests: a simulated lattice panel and the demo counties' weights."""

import numpy as np
import pandas as pd
import pytest
from panels import lattice, simulate

from carbonbalance import spatial
from carbonbalance.demo.geometry import make_boundaries


@pytest.fixture(scope="module")
def lattice_panel():
    w, ws = lattice()
    df = simulate(w.full()[0], 6, np.array([1.0, -0.5]), np.array([0.3, 0.2]), 0.4, seed=1, time_fx=False)
    return w, ws, df


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
