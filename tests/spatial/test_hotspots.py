"""Gi* on units and on grids against esda; the hot-spot benchmark script."""

import numpy as np
import pytest

from carbonbalance.spatial.hotspots import confidence_class, getis_ord, getis_ord_grid
from carbonbalance.spatial.neighbours import weights


def test_getis_ord_units_equals_esda(lattice):
    from esda.getisord import G_Local

    gdf, y = lattice
    w = weights(gdf, transform=None)
    g = getis_ord(y, w)
    np.testing.assert_allclose(g["z"], G_Local(y, w, transform="B", star=True, permutations=0).Zs, rtol=1e-12)
    assert set(g["class"]) <= {"ns", "hot 90%", "hot 95%", "hot 99%", "cold 90%", "cold 95%", "cold 99%"}
    assert confidence_class([2.6, -2.0, 1.7, 0.3, np.nan]).tolist() == [
        "hot 99%",
        "cold 95%",
        "hot 90%",
        "ns",
        "nodata",
    ]


@pytest.mark.parametrize("distance", [1000.0, 2500.0])
def test_grid_getis_ord_equals_esda_distance_band(distance):
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    rng = np.random.default_rng(int(distance))
    a = rng.gamma(1.5, 2.0, (14, 17))
    a[3:6, 4:9] += 6.0
    a[rng.random(a.shape) < 0.1] = np.nan
    z = getis_ord_grid(a, 1000.0, distance)
    rows, cols = np.nonzero(np.isfinite(a))
    pts = np.column_stack([cols * 1000.0, rows * 1000.0])
    w = DistanceBand(pts, threshold=distance * (1 + 1e-9), binary=True, silence_warnings=True)
    ref = G_Local(a[rows, cols], w, transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(z[rows, cols], ref, rtol=1e-8, atol=1e-10)
    assert np.isnan(z[~np.isfinite(a)]).all()


def test_grid_getis_ord_in_bands_equals_the_whole_grid_at_once():
    """Bands of rows with the window's overlap give the one-pass FFT result to 1e-12."""
    from scipy.signal import oaconvolve

    from carbonbalance.spatial.hotspots import disc_kernel

    rng = np.random.default_rng(8)
    a = rng.gamma(1.2, 3.0, (230, 170))
    a[50:80, 40:90] += 9.0
    a[rng.random(a.shape) < 0.08] = np.nan
    banded = getis_ord_grid(a, 1000.0, 6000.0, band_cells=2000)  # 11 rows per band, 6 rows of overlap
    # the whole grid in one FFT pass (the implementation before the bands)
    valid = np.isfinite(a)
    n, xv = int(valid.sum()), np.where(valid, a, 0.0)
    mean = xv.sum() / n
    s = np.sqrt((xv**2).sum() / n - mean**2)
    kern = disc_kernel(1000.0, 6000.0)
    sums = oaconvolve(xv, kern, mode="same")
    counts = np.rint(oaconvolve(valid.astype("float64"), kern, mode="same"))
    whole = np.where(valid, (sums - mean * counts) / (s * np.sqrt((n * counts - counts**2) / (n - 1))), np.nan)
    np.testing.assert_allclose(banded, whole, rtol=0, atol=1e-12)
    assert np.array_equal(np.isnan(banded), ~valid)


def test_hotspot_benchmark_runs_small():
    """benchmarks/spatial.py end to end on a small grid (a smoke test; no timing is asserted)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "spatial.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--rows", "160", "--cols", "140", "--distance", "3000"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.fullmatch(r"gi_grid_seconds=\d+\.\d\d gi_grid_peak_mb=\d+", proc.stdout.strip().splitlines()[-1])
    assert float(re.search(r"max \|z - esda\| = (\S+)", proc.stdout).group(1)) < 1e-8


def test_confidence_classes_by_index_equal_the_labels_cell_by_cell():
    """The grid's classes are counted from an int8 index (a string per national cell would
    take gigabytes); index, labels and counts agree with the thresholds, ties included."""
    from carbonbalance.spatial.hotspots import CLASSES, class_counts, confidence_class, confidence_index

    rng = np.random.default_rng(3)
    z = rng.normal(0, 2, (300, 200))
    z[0, :7] = [1.6449, -1.6449, 1.96, -1.96, 2.5758, -2.5758, np.nan]
    labels = confidence_class(z)
    expected = np.full(z.shape, "ns", dtype=object)
    for level, crit in ((90, 1.6449), (95, 1.9600), (99, 2.5758)):
        expected[z >= crit] = f"hot {level}%"
        expected[z <= -crit] = f"cold {level}%"
    expected[np.isnan(z)] = "nodata"
    assert (labels == expected).all()
    assert list(labels[0, :7]) == ["hot 90%", "cold 90%", "hot 95%", "cold 95%", "hot 99%", "cold 99%", "nodata"]
    idx = confidence_index(z)
    assert idx.dtype == np.int8 and (np.array(CLASSES + ["nodata"])[idx] == expected).all()
    counts = class_counts(z, rows=7)
    assert counts == {c: int((expected == c).sum()) for c in CLASSES + ["nodata"]}
