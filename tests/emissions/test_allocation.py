"""Mass-conserving allocation (SPEC §4): invariants, Peng2023 county formula, fallbacks, pieces
of shared cells, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbalance.emissions.allocation import allocate
from carbonbalance.errors import InputError


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    ny=st.integers(1, 40),
    nx=st.integers(1, 40),
    n=st.integers(1, 8),
    chunk=st.sampled_from([16, 7, 64]),
    zero_share=st.floats(0, 0.9),
)
def test_allocation_conserves_totals_and_stays_inside_units(seed, ny, nx, n, chunk, zero_share):
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, n, (ny, nx)).astype("int32")
    light = rng.gamma(0.5, 10, (ny, nx)) * (rng.random((ny, nx)) > zero_share)
    light[rng.random((ny, nx)) < 0.05] = np.nan  # nodata counts as zero weight
    pop = rng.random((ny, nx)) * 50 * (rng.random((ny, nx)) > zero_share)
    area = np.full((ny, nx), 1e6)
    present = np.isin(np.arange(n), labels)
    totals = np.where(present, rng.uniform(0, 1e7, n), np.nan)
    grid, rec = allocate(labels, {"light": light, "population": pop, "area": area}, totals, chunk=chunk)
    assert np.all(grid >= 0) and np.all(grid[labels < 0] == 0)
    for u in np.flatnonzero(present):
        assert grid[labels == u].sum() == pytest.approx(totals[u], rel=1e-9)
    for u in np.flatnonzero(present):
        used = rec["fallback_units"].get(str(u), {}).get("all cells", "light")
        if np.nansum(light[labels == u]) > 0:
            assert used == "light"
        else:
            assert used == ("population" if pop[labels == u].sum() > 0 else "area")


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    ny=st.integers(1, 30),
    nx=st.integers(1, 30),
    n=st.integers(1, 6),
    chunk=st.sampled_from([4, 16, 64]),
)
def test_multisource_conserves_every_category_of_every_unit(seed, ny, nx, n, chunk):
    rng = np.random.default_rng(seed)
    labels = rng.integers(-1, n, (ny, nx)).astype("int16")
    cats = rng.integers(-1, 3, (ny, nx)).astype("int8")
    light = rng.gamma(0.5, 10, (ny, nx)) * (rng.random((ny, nx)) > 0.5)
    pop = rng.random((ny, nx)) * 50 * (rng.random((ny, nx)) > 0.3)
    area = np.full((ny, nx), 1e6)
    present = np.isin(np.arange(n), labels)
    totals = np.where(present[:, None], rng.uniform(0, 1e7, (n, 3)), np.nan)
    chains = [["light", "population", "area"]] * 2 + [["population", "area"]]
    grid, rec = allocate(
        labels,
        {"light": light, "population": pop, "area": area},
        totals,
        chains=chains,
        categories=cats,
        category_names=["urban", "industrial", "rural"],
        chunk=chunk,
    )
    assert grid.shape == (3, ny, nx)
    assert np.all(grid >= 0) and np.all(grid[:, labels < 0] == 0)
    for u in np.flatnonzero(present):
        for k in range(3):
            assert grid[k][labels == u].sum() == pytest.approx(totals[u, k], rel=1e-9)
            spread = "over all cells" in rec["fallback_units"].get(str(u), {}).get(
                ["urban", "industrial", "rural"][k], ""
            )
            if not spread:  # a category's emissions stay on its own land-use cells
                assert np.all(grid[k][(labels == u) & (cats != k)] == 0)


def test_all_zero_light_falls_back_to_population_then_area():
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]], dtype="int32")
    light = np.array([[1, 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=float)
    pop = np.array([[0, 0, 10, 30], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=float)
    area = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 2, 3, 4]], dtype=float)
    grid, rec = allocate(labels, {"light": light, "population": pop, "area": area}, [8.0, 40.0, 100.0], chunk=16)
    np.testing.assert_allclose(grid[0], [2, 6, 10, 30])
    np.testing.assert_allclose(grid[2], [10, 20, 30, 40])
    assert rec["fallback_units"] == {"1": {"all cells": "population"}, "2": {"all cells": "area"}}
    assert rec["weight_used"] == {"all cells": {"light": 1, "population": 1, "area": 1}}


def test_county_sums_equal_peng2023_formula():
    """Allocating a province total by light and summing counties gives C_i = C · DN_i / Σ_j DN_j."""
    rng = np.random.default_rng(9)
    county = rng.integers(0, 6, (60, 45))
    province = np.zeros_like(county, dtype="int32")
    light = rng.gamma(1.0, 20.0, county.shape)
    total = 3.7e7
    grid, _ = allocate(province, {"light": light}, [total], chunk=16)
    dn = np.array([light[county == c].sum() for c in range(6)])
    direct = total * dn / dn.sum()
    np.testing.assert_allclose([grid[county == c].sum() for c in range(6)], direct, rtol=1e-12)


def test_categories_go_to_their_land_use_cells_and_empty_ones_spread_over_the_unit():
    """Zhu2026: urban and industrial by light on their cells, rural by population on rural cells;
    a unit without industrial land gets its industrial part over all its cells (or an error)."""
    labels = np.array([[0, 0, 0, 1, 1, 1]], dtype="int32")
    cats = np.array([[0, 1, 2, 0, 2, 2]], dtype="int8")
    light = np.array([[4.0, 2.0, 1.0, 3.0, 1.0, 0.0]])
    pop = np.array([[10.0, 0.0, 30.0, 5.0, 10.0, 30.0]])
    chains = [["light", "population"], ["light", "population"], ["population"]]
    totals = np.array([[6.0, 4.0, 3.0], [9.0, 5.0, 8.0]])
    names = ["urban", "industrial", "rural"]
    grid, rec = allocate(
        labels,
        {"light": light, "population": pop},
        totals,
        chains=chains,
        categories=cats,
        category_names=names,
        unit_names=["Beihe", "Nanhua"],
    )
    np.testing.assert_allclose(grid[0], [[6, 0, 0, 9, 0, 0]])
    np.testing.assert_allclose(grid[1], [[0, 4, 0, 3.75, 1.25, 0]])  # Nanhua: no industrial land
    np.testing.assert_allclose(grid[2], [[0, 0, 3, 0, 2, 6]])
    assert rec["fallback_units"] == {"Nanhua": {"industrial": "light over all cells of the unit"}}
    with pytest.raises(
        InputError,
        match=r"Nanhua \(0 industrial cells\) have a industrial total but no cell "
        r"of its category",
    ):
        allocate(
            labels,
            {"light": light, "population": pop},
            totals,
            chains=chains,
            categories=cats,
            category_names=names,
            unit_names=["Beihe", "Nanhua"],
            empty_category="error",
        )


def test_bad_totals_and_weights_name_the_unit():
    labels = np.array([[0, 1]], dtype="int32")
    w = {"light": np.array([[1.0, 0.0]])}
    with pytest.raises(InputError, match=r"negative total\(s\): unit Nanhua = -5"):
        allocate(labels, w, [1.0, -5.0], unit_names=["Beihe", "Nanhua"])
    with pytest.raises(
        InputError,
        match=r"unit\(s\) Nanhua \(1 cells\) have a total but "
        r"no cell of the unit with a positive weight \(light\)",
    ):
        allocate(labels, w, [1.0, 5.0], unit_names=["Beihe", "Nanhua"])
    with pytest.raises(InputError, match="weight layer 'light': 1 negative"):
        allocate(labels, {"light": np.array([[1.0, -2.0]])}, [1.0, 1.0])
    grid, rec = allocate(
        labels, {"light": np.array([[1.0, -2.0]]), "area": np.ones((1, 2))}, [1.0, 1.0], negative_weights="zero"
    )
    assert rec["negative_weights_zeroed"] == {"light": 1} and grid.tolist() == [[1.0, 1.0]]
    with pytest.raises(InputError, match=r"1 cell\(s\) have a unit label outside 0..1"):
        allocate(np.array([[0, 2]]), w, [1.0, 1.0])


def test_benchmark_script_runs_small():
    """benchmarks/emissions.py end to end on a tiny grid (a smoke test; no timing is asserted)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "emissions.py"
    proc = subprocess.run(
        [
            sys.executable,
            str(script),
            "--rows",
            "120",
            "--cols",
            "90",
            "--units",
            "6",
            "--chunk",
            "32",
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.fullmatch(r"emissions_speedup_vs_naive=\d+\.\d\d", proc.stdout.strip().splitlines()[-1])
    err = float(re.search(r"worst unit total error (\S+) ", proc.stdout).group(1))
    assert err < 1e-9


def test_border_cell_is_split_between_the_units_covering_it_by_hand():
    """Exact assignment: cell 1 is 25 % A and 75 % B; each piece weighs light x fraction."""
    labels = np.array([[0, -1, 1]], dtype="int16")
    light = np.array([[1.0, 2.0, 3.0]])
    pieces = (np.array([1, 1]), np.array([0, 1]), np.array([0.25, 0.75]))
    grid, rec = allocate(labels, {"light": light}, [10.0, 9.0], pieces=pieces)
    # A: 10 over 1 + 0.25·2 = 1.5 light; B: 9 over 0.75·2 + 3 = 4.5 light
    np.testing.assert_allclose(grid, [[10 / 1.5, 10 / 1.5 * 0.5 + 2.0 * 1.5, 2.0 * 3.0]], rtol=1e-15)
    np.testing.assert_allclose(rec["unit_sums"], [10.0, 9.0], rtol=1e-15)
    assert rec["cells_outside_units"] == 0 and rec["cells_per_unit"] == {"0": 1.25, "1": 1.75}


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    ny=st.integers(1, 30),
    nx=st.integers(1, 30),
    n=st.integers(1, 8),
    chunk=st.sampled_from([4, 16, 64]),
    lazy=st.booleans(),
)
def test_pieces_and_lookup_conserve_totals_at_every_level(seed, ny, nx, n, chunk, lazy):
    """Finest units (labels and pieces of shared or partly outside cells) mapped to coarser
    units: every coarse total comes back from the grid and from the per-unit sums (1e-9),
    the per-unit sums nest, and nothing lands outside."""
    import dask.array as da

    rng = np.random.default_rng(seed)
    full = rng.integers(-1, n, (ny, nx)).astype("int16")
    shared = rng.random((ny, nx)) < 0.3
    full[shared] = -1
    cells, units, fracs = [], [], []
    for c in np.flatnonzero(shared):
        k = int(rng.integers(1, 4))
        f = rng.dirichlet(np.ones(k + 1))[:k]  # the rest of the cell lies outside every unit
        cells += [c] * k
        units += list(rng.choice(n, size=k, replace=False) if k <= n else rng.integers(0, n, k))
        fracs += list(f)
    order = np.argsort(cells, kind="stable")
    pieces = (np.array(cells, dtype="int64")[order], np.array(units, dtype="int32")[order], np.array(fracs)[order])
    n_coarse = max(1, n // 2)
    lookup = rng.integers(0, n_coarse, n)
    light = rng.gamma(0.5, 10, (ny, nx)) * (rng.random((ny, nx)) > 0.4)
    area = np.full((ny, nx), 1e6)
    present = np.zeros(n_coarse, dtype=bool)
    present[lookup[np.unique(np.concatenate([full[full >= 0], pieces[1]]).astype(int))]] = True
    totals = np.where(present, rng.uniform(0, 1e7, n_coarse), np.nan)
    weights = {"light": light, "area": area}
    if lazy:
        weights = {k: da.from_array(v, chunks=chunk) for k, v in weights.items()}
    grid, rec = allocate(full, weights, totals, chunk=chunk, lookup=lookup, pieces=pieces)
    sums = rec["unit_sums"]
    assert np.all(grid >= 0) and np.all(sums >= 0)
    outside = (full < 0) & ~np.isin(np.arange(ny * nx), pieces[0]).reshape(ny, nx)
    assert np.all(grid[outside] == 0)
    assert grid.sum() == pytest.approx(np.nansum(totals), rel=1e-9)
    for u in np.flatnonzero(present):
        assert sums[lookup == u].sum() == pytest.approx(totals[u], rel=1e-9)
    assert rec["cells_outside_units"] == int(outside.sum())
