"""Planning of the allocation (SPEC §4): which weight layer and factor each group uses.

A *group* is (unit of the totals, category); its total goes to its cells by the first
layer of its category's fallback chain whose sum over the group is positive, else
(``empty_category="unit"``) over all cells of the unit by the same chain.  Also the
block layout of the passes and the pieces (cell, finest unit, fraction) of the partly
covered cells, grouped by block.  Pure numpy: the sums come from
:mod:`carbonbalance.emissions.kernels`, the passes from :mod:`~carbonbalance.emissions.allocation`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import dask.array as da
import numpy as np

from carbonbalance.emissions.kernels import MAX_LAYERS
from carbonbalance.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chains:
    """The fallback chains of an allocation, with the names used in messages and the record."""

    names: list[str]  # distinct layer names, in first-use order
    chains: list[list[int]]  # per category, indices into names in fallback order
    category_names: list[str]
    unit_names: list[str] | None
    empty_category: str
    n_slots: int

    @property
    def n_cat(self) -> int:
        return len(self.chains)

    def unit(self, u: int) -> str:
        return self.unit_names[u] if self.unit_names is not None else str(u)


def block_shape(arrays, chunk: int, shape) -> tuple:
    """Square blocks when an input is lazy (stores: aligned with their chunks); full-width row
    bands of about chunk² cells when all are in memory, whose views are then C-contiguous
    (the kernels vectorise along rows)."""
    if any(isinstance(getattr(a, "data", a), da.Array) for a in arrays):
        return (chunk, chunk)
    ny, nx = shape
    return (max(1, min(ny, chunk * chunk // max(nx, 1))), nx)


@dataclass
class Plan:
    """Result of the planning passes: which layers each group uses, with which factor."""

    layers: list[str]  # distinct layer names of all chains, in first-use order
    coef: np.ndarray  # (n_categories, n_layers, n_groups) t per weight unit
    n_slots: int
    record: dict = field(default_factory=dict)

    @property
    def used(self) -> list[int]:
        """Indices of the layers that any group allocates by."""
        return [q for q in range(len(self.layers)) if np.any(self.coef[:, q])]


@dataclass
class Pieces:
    """The pieces of partly covered cells, grouped by block: local row and column, finest
    unit, allocation unit, fraction, and per block the range of its pieces."""

    row: np.ndarray
    col: np.ndarray
    finest: np.ndarray
    unit: np.ndarray
    fraction: np.ndarray
    bounds: np.ndarray
    n_cells: int  # distinct cells with pieces

    def block(self, idx: int) -> tuple:
        a, b = self.bounds[idx], self.bounds[idx + 1]
        return self.row[a:b], self.col[a:b], self.unit[a:b], self.finest[a:b], self.fraction[a:b]


def group_pieces(pieces, shape, block, blocks) -> Pieces:
    """Sort the pieces (cell, finest unit, fraction) by block and cell (see :class:`Pieces`)."""
    cell, unit, frac = (np.zeros(0, "int64"), np.zeros(0, "int32"), np.zeros(0)) if pieces is None else pieces
    cell = np.asarray(cell, dtype="int64")
    ny, nx = shape
    if cell.size and (cell.min() < 0 or cell.max() >= ny * nx):
        raise InputError(f"unit assignment: piece cells outside the {ny} x {nx} grid")
    r, c = cell // nx, cell % nx
    bh, bw = block
    nbx = -(-nx // bw)
    b = (r // bh) * nbx + (c // bw)
    order = np.lexsort((cell, b))
    bounds = np.searchsorted(b[order], np.arange(len(blocks) + 1))
    r, c = r[order], c[order]
    return Pieces(
        row=(r % bh).astype("int32"),
        col=(c % bw).astype("int32"),
        finest=np.asarray(unit, dtype="int32")[order],
        unit=np.asarray(unit, dtype="int32")[order],
        fraction=np.asarray(frac, dtype="float64")[order],
        bounds=bounds,
        n_cells=int(np.unique(cell).size),
    )


def resolve(T, has, sums, cells, group, spec: Chains, negative_counts: dict, n_piece_cells: int) -> Plan:
    """Pick each group's layer and factor from the weight sums of the planning passes.

    T : (n_units, n_categories) totals, t; has : where a total is positive; sums :
    (n_groups, n_layers) weight sums; cells : cells per group; group : (n, C) group index of
    each unit and category.  A group without weight in its category falls back along its
    chain, then (``empty_category="unit"``) to all cells of its unit; a total with no
    weight anywhere in the unit raises :class:`InputError` naming the units.
    """
    n, C = T.shape
    S, names = spec.n_slots, spec.names
    coef = np.zeros((C, MAX_LAYERS, (n + 1) * S))
    chosen = np.full((n, C), -1)
    spread = np.zeros((n, C), dtype=bool)
    unit_sums = sums.reshape(n + 1, S, -1)[1:].sum(axis=1)  # (n, layers): all cells of the unit
    for k, chain in enumerate(spec.chains):
        g = group[:, k]
        for q in chain:
            free = has[:, k] & (chosen[:, k] < 0) & (sums[g, q] > 0)
            coef[k, q, g[free]] = T[free, k] / sums[g[free], q]
            chosen[free, k] = q
        left = has[:, k] & (chosen[:, k] < 0)
        if left.any() and spec.empty_category == "error":
            raise InputError(
                _stranded(spec, left, k, cells, group, "of its category")
                + " (set empty_category: unit to spread it over the unit's cells)"
            )
        for q in chain:
            free = left & (chosen[:, k] < 0) & (unit_sums[:, q] > 0)
            for u in np.flatnonzero(free):
                coef[k, q, (u + 1) * S : (u + 2) * S] += T[u, k] / unit_sums[u, q]
            chosen[free, k] = q
            spread[free, k] = True
        stranded = has[:, k] & (chosen[:, k] < 0)
        if stranded.any():
            raise InputError(
                _stranded(spec, stranded, k, cells, group, "of the unit")
                + "; use a finer grid or totals at a coarser level"
            )
    record = _record(spec, T, has, chosen, spread, cells, group, negative_counts, n_piece_cells)
    return Plan(layers=list(names), coef=coef, n_slots=S, record=record)


def _stranded(spec: Chains, mask, k, cells, group, where) -> str:
    units = np.flatnonzero(mask)[:10]
    cat = "" if spec.n_cat == 1 else f"{spec.category_names[k]} "
    desc = ", ".join(f"{spec.unit(u)} ({cells[group[u, k]]:.6g} {cat}cells)" for u in units)
    chain = " -> ".join(spec.names[q] for q in spec.chains[k])
    return f"unit(s) {desc} have a {cat}total but no cell {where} with a positive weight ({chain})"


def _record(spec: Chains, T, has, chosen, spread, cells, group, negative_counts: dict, n_piece_cells: int) -> dict:
    n, C = T.shape
    fallbacks: dict = {}
    for u, k in zip(*np.nonzero(has & ((chosen != np.array([c[0] for c in spec.chains])) | spread))):
        how = spec.names[chosen[u, k]] + (" over all cells of the unit" if spread[u, k] else "")
        fallbacks.setdefault(spec.unit(u), {})[spec.category_names[k]] = how
        log.warning(
            "unit %s, %s: %s weights sum to zero over its %.6g cell(s); allocated by %s",
            spec.unit(u),
            spec.category_names[k],
            spec.names[spec.chains[k][0]],
            cells[group[u, k]],
            how,
        )
    weight_used = {
        spec.category_names[k]: {spec.names[q]: int(((chosen[:, k] == q) & has[:, k]).sum()) for q in spec.chains[k]}
        for k in range(C)
    }
    unit_cells = cells.reshape(n + 1, spec.n_slots)[1:].sum(axis=1)
    return {
        "layers": list(spec.names),
        "chains": {spec.category_names[k]: [spec.names[q] for q in ch] for k, ch in enumerate(spec.chains)},
        "n_units_with_total": int(has.any(axis=1).sum()),
        "weight_used": weight_used,
        "fallback_units": fallbacks,
        "n_fallback_units": len(fallbacks),
        "negative_weights_zeroed": {k: v for k, v in negative_counts.items() if v},
        "cells_per_unit": {spec.unit(u): round(float(unit_cells[u]), 6) for u in range(n)},
        "cells_outside_units": int(round(cells[: spec.n_slots].sum())) - n_piece_cells,
    }
