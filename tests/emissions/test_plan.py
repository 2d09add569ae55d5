"""The planning step of the allocation: layer and factor per group, fallbacks, stranded totals."""

import numpy as np
import pytest

from carbonbalance.emissions.plan import Chains, group_pieces, resolve
from carbonbalance.errors import InputError


def _spec(empty_category="unit"):
    return Chains(["light", "population"], [[0, 1]], ["all cells"], ["A", "B"], empty_category, n_slots=2)


def _sums():
    # groups (unit + 1) * 2 + (category + 1): A -> 3, B -> 5; slot 1 of a unit is "no category"
    sums = np.zeros((6, 2))
    sums[3] = [10.0, 4.0]  # A has light
    sums[5] = [0.0, 5.0]  # B has no light, only population
    cells = np.zeros(6)
    cells[[1, 3, 5]] = [7, 2, 3]
    return sums, cells


def test_each_unit_takes_the_first_layer_of_its_chain_with_weight():
    T = np.array([[100.0], [50.0]])
    sums, cells = _sums()
    group = np.array([[3], [5]])
    plan = resolve(T, T > 0, sums, cells, group, _spec(), {}, n_piece_cells=0)
    assert plan.coef[0, 0, 3] == pytest.approx(100.0 / 10.0)  # t per unit of light
    assert plan.coef[0, 1, 5] == pytest.approx(50.0 / 5.0)  # t per person
    assert plan.coef[0, 1, 3] == 0 and plan.coef[0, 0, 5] == 0
    assert plan.used == [0, 1]
    assert plan.record["fallback_units"] == {"B": {"all cells": "population"}}
    assert plan.record["weight_used"] == {"all cells": {"light": 1, "population": 1}}
    assert plan.record["cells_outside_units"] == 7
    assert plan.record["cells_per_unit"] == {"A": 2.0, "B": 3.0}


def test_a_total_without_weight_anywhere_in_its_unit_names_the_unit():
    T = np.array([[100.0], [50.0]])
    sums, cells = _sums()
    sums[5] = 0.0
    with pytest.raises(InputError, match=r"unit\(s\) B \(3 cells\).*light -> population"):
        resolve(T, T > 0, sums, cells, np.array([[3], [5]]), _spec(), {}, n_piece_cells=0)


def test_no_total_means_nothing_is_planned():
    T = np.array([[np.nan], [0.0]])
    sums, cells = _sums()
    plan = resolve(T, np.isfinite(T) & (T > 0), sums, cells, np.array([[3], [5]]), _spec(), {}, 0)
    assert not plan.coef.any() and plan.used == []


def test_pieces_are_grouped_by_block_with_local_rows_and_columns():
    # a 4 x 6 grid in 2 x 3 blocks; pieces in cells 0, 9 (row 1, col 3) and 23 (row 3, col 5)
    blocks = [None] * 4
    p = group_pieces((np.array([23, 0, 9]), np.array([2, 0, 1]), np.array([0.5, 0.25, 1.0])), (4, 6), (2, 3), blocks)
    assert list(p.bounds) == [0, 1, 2, 2, 3]
    rows, cols, _, finest, fraction = p.block(1)
    assert (rows[0], cols[0], finest[0], fraction[0]) == (1, 0, 1, 1.0)
    rows, cols, _, finest, fraction = p.block(3)
    assert (rows[0], cols[0], finest[0], fraction[0]) == (1, 2, 2, 0.5)
    assert p.n_cells == 3
    with pytest.raises(InputError, match="outside the 4 x 6 grid"):
        group_pieces((np.array([24]), np.array([0]), np.array([1.0])), (4, 6), (2, 3), blocks)
