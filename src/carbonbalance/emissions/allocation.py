"""Mass-conserving allocation of unit totals to grid cells by weight rasters (SPEC §4).

``C_r = C_c · W_r / Σ_{r∈c} W_r`` for every cell r of unit c, where W is the first
weight layer of the fallback chain (e.g. night light → population → cell area) whose
sum over the unit's cells is positive.

Cells belong to units by the run's one assignment (:mod:`carbonbalance.core.assignment`):
a label raster of the finest units (cell → unit index, -1 none) mapped to the units
that carry the totals by a lookup (e.g. county → province), and, in exact mode, the
pieces (cell, finest unit, covered fraction f) of the cells that several units share or
that lie partly outside: a piece weighs ``W_r · f``, so a border cell's emission is
split between the units that cover it.  What is placed is also summed per finest unit,
from the allocation itself, so that every unit with a total gets it back exactly at
every level (:attr:`Allocation.unit_sums`).  With emission
*categories* (the multisource method) a category raster (cell → category index, -1
none) splits each unit into groups (unit, category); the total of category k of unit c
goes to the cells of that group by the category's own chain.  A category whose cells
carry no weight at all (e.g. no industrial land in a county) is spread over all cells of
its unit by the same chain (``empty_category="unit"``) or is an error.

Passes, each a numba kernel (:mod:`carbonbalance.emissions.kernels`) per chunk:

1. :func:`~carbonbalance.emissions.kernels.group_sums` — per group the sum of the first layer of every chain (and the
   cell count), over runs of equal groups along rows (vectorised sums).
2. only if some group needs it: the same over the remaining chain layers, restricted to
   the units that fall back (other cells are not read).
3. :func:`~carbonbalance.emissions.kernels.allocate_block` — ``out[k, r] = Σ_q coef[k, q, g(r)] · W_q[r]``, a gather and
   a multiply per used layer, vectorised.

NaN weights count as 0.  Negative weights inside units are an error, or are counted
and taken as 0 (``negative_weights="zero"``, e.g. for VIIRS background noise).
"""

from __future__ import annotations

import logging

import numpy as np

from carbonbalance.core.blocks import block_slices, read_block, run_blocks
from carbonbalance.emissions.kernels import MAX_LAYERS, allocate_block, group_sums
from carbonbalance.emissions.plan import Chains, Plan, block_shape, group_pieces, resolve
from carbonbalance.errors import ConfigError, InputError

log = logging.getLogger(__name__)

_DUMMY_CATS = np.zeros((1, 1), dtype="int8")
_NO_NEED = np.zeros(1, dtype=bool)


class Allocation:
    """Allocate totals of units (and categories) to cells by weight layers with fallbacks.

    labels : (ny, nx) int array (numpy or dask), unit index or -1
    layers : {name: (ny, nx) float array} weight layers (NaN = 0)
    chains : per category, the layer names in fallback order, e.g.
             ``[["light", "population", "area"]]`` (one category, no category raster)
    categories : (ny, nx) int array of category index (-1 none), required with >1 chain
    unit_names, category_names : names of the units of the totals and of the categories,
             for messages and the record
    lookup : (n_finest,) int, the unit of the totals of each label (e.g. the province of
             each county); None = the labels are those units
    pieces : (cell, label, fraction) of the partly covered cells (exact mode): flat cell
             index, unit index as in ``labels`` and covered fraction
    chunk : block edge of the dask passes (numpy inputs are viewed, dask ones rechunked)
    """

    def __init__(
        self,
        labels,
        layers: dict,
        chains: list[list[str]],
        categories=None,
        unit_names=None,
        category_names=None,
        chunk: int = 1024,
        threads: int = 1,
        empty_category: str = "unit",
        negative_weights: str = "error",
        lookup=None,
        pieces=None,
    ):
        if len(chains) > 1 and categories is None:
            raise ValueError(f"{len(chains)} category chains need a category raster")
        if empty_category not in ("unit", "error"):
            raise ConfigError(f"empty_category must be 'unit' or 'error', not {empty_category!r}")
        if negative_weights not in ("error", "zero"):
            raise ConfigError(f"negative_weights must be 'error' or 'zero', not {negative_weights!r}")
        self.names: list[str] = []
        for chain in chains:
            if not chain:
                raise ConfigError("every category needs at least one weight layer")
            for name in chain:
                if name not in layers:
                    raise ConfigError(f"weight layer {name!r} of a fallback chain is not among {list(layers)}")
                if name not in self.names:
                    self.names.append(name)
        if len(self.names) > MAX_LAYERS:
            raise ConfigError(f"at most {MAX_LAYERS} distinct weight layers, got {self.names}")
        self.chains = [[self.names.index(n) for n in chain] for chain in chains]
        self.n_cat = len(chains)
        self.use_cats = categories is not None
        self.n_slots = self.n_cat + 1
        self.labels, self.categories = labels, categories
        self.layers = {n: layers[n] for n in self.names}
        self.shape = tuple(np.shape(labels))
        for name, a in [("categories", categories)] + list(self.layers.items()):
            if a is not None and tuple(np.shape(a)) != self.shape:
                raise InputError(f"{name}: shape {tuple(np.shape(a))} differs from the labels' {self.shape}")
        arrays = [labels, categories] + list(self.layers.values())
        self.block = block_shape([a for a in arrays if a is not None], chunk, self.shape)
        self.blocks = block_slices(self.shape, self.block)
        self.lookup = None if lookup is None else np.asarray(lookup, dtype="int64")
        self.pieces = group_pieces(pieces, self.shape, self.block, self.blocks)
        self.unit_names = None if unit_names is None else [str(u) for u in unit_names]
        if category_names is None:
            category_names = ["all cells"] if self.n_cat == 1 else [f"category {k}" for k in range(self.n_cat)]
        self.category_names = [str(c) for c in category_names]
        self.threads = threads
        self.empty_category = empty_category
        self.negative_weights = negative_weights
        self.block_groups = None  # per block, the groups it has cells of (first pass)
        self.lut = None  # label + 1 -> unit of the totals (set by plan)
        self.unit_sums = None  # (n_categories, n_labels) placed per label unit (set by fill_blocks)

    # ------------------------------------------------------------------ passes
    def _read(self, idx: int, rows: slice, cols: slice, names: list[str]) -> tuple:
        """Labels, categories, up to three layers (unused slots repeat the first) and the
        pieces of one block."""
        lb = read_block(self.labels, rows, cols)
        cb = read_block(self.categories, rows, cols) if self.use_cats else _DUMMY_CATS
        ws = [read_block(self.layers[n], rows, cols) for n in names]
        return lb, cb, *(ws + [ws[0]] * (MAX_LAYERS - len(ws))), self.pieces.block(idx)

    def _sums(self, names: list[str], n_groups: int, need=None) -> tuple[np.ndarray, np.ndarray, int]:
        k, S, use_cats, use_need = len(names), self.n_slots, self.use_cats, need is not None
        need_arr = need if use_need else _NO_NEED

        def block(item):
            idx, (rows, cols) = item
            if use_need and not need[self.block_groups[idx]].any():
                return None  # no cell of a unit that falls back: nothing to read
            lb, cb, w0, w1, w2, (pr, pc, pu, _, pf) = self._read(idx, rows, cols, names)
            return group_sums(
                lb, self.lut, cb, use_cats, S, w0, w1, w2, k, need_arr, use_need, n_groups, pr, pc, pu, pf
            )

        parts = run_blocks(
            block,
            enumerate(self.blocks),
            threads=self.threads,
            label=f"weight sums ({', '.join(names)})" if len(self.blocks) >= 50 else None,
        )
        if need is None:
            self.block_groups = [np.flatnonzero(p[0][:, 3]) for p in parts]
        parts = [p for p in parts if p is not None]
        sums = np.sum([p[0] for p in parts], axis=0) if parts else np.zeros((n_groups, 4))
        negative = np.sum([p[1] for p in parts], axis=0) if parts else np.zeros(3, dtype="int64")
        return sums, negative, int(sum(p[2] for p in parts))

    def _unit(self, u: int) -> str:
        return self.unit_names[u] if self.unit_names is not None else str(u)

    def _set_lookup(self, n: int) -> None:
        """``lut[label + 1]`` = unit of the totals (-1 for label -1); pieces get their unit too."""
        lookup = np.arange(n) if self.lookup is None else self.lookup
        if lookup.size and (lookup.min() < 0 or lookup.max() >= n):
            raise ValueError(f"lookup maps labels to units outside 0..{n - 1}")
        self.lut = np.concatenate([[-1], lookup]).astype("int64")
        p = self.pieces
        if p.finest.size and p.finest.max() >= lookup.size:
            raise InputError(f"unit assignment: piece unit {int(p.finest.max())} outside 0..{lookup.size - 1}")
        p.unit = lookup[p.finest].astype("int32") if p.finest.size else p.finest

    def plan(self, totals) -> Plan:
        """Pick each group's layer and factor: totals (n_units,) or (n_units, n_categories), t.

        NaN = no total (nothing allocated).  Raises :class:`InputError` for negative
        totals or weights, out-of-range labels, and a unit with a total but no cell with
        a positive weight in any layer of its chain.
        """
        T = np.asarray(totals, dtype="float64")
        if T.ndim == 1:
            T = T[:, None]
        n, C = T.shape
        if C != self.n_cat:
            raise ValueError(f"totals have {C} categories, the chains {self.n_cat}")
        if self.unit_names is not None and len(self.unit_names) != n:
            raise ValueError(f"{len(self.unit_names)} unit names for {n} units")
        neg = np.argwhere(T < 0)
        if len(neg):
            raise InputError(
                "negative total(s): "
                + ", ".join(
                    f"unit {self._unit(u)}" + ("" if C == 1 else f" {self.category_names[k]}") + f" = {T[u, k]:g}"
                    for u, k in neg[:10]
                )
            )
        self._set_lookup(n)
        S = self.n_slots
        G = (n + 1) * S
        names = self.names
        first = sorted({chain[0] for chain in self.chains})
        sums = np.zeros((G, len(names) + 1))
        s1, negative, bad = self._sums([names[q] for q in first], G)
        if bad:
            raise InputError(
                f"{bad} cell(s) have a unit label outside 0..{len(self.lut) - 2} or a category outside 0..{C - 1}"
            )
        for col, q in enumerate(first):
            sums[:, q] = s1[:, col]
        cells = s1[:, 3]
        negs = {names[q]: int(negative[col]) for col, q in enumerate(first)}
        has = np.isfinite(T) & (T > 0)
        group = (np.arange(n)[:, None] + 1) * S + np.arange(1, C + 1)[None, :]  # (n, C)
        first_of = np.array([chain[0] for chain in self.chains])
        short = has & ~(sums[group, first_of[None, :]] > 0)
        rest = [q for q in range(len(names)) if q not in first]
        if short.any() and (rest or self.empty_category == "unit"):
            # the units that fall back: every group of theirs, every layer of the chains
            need = np.zeros(G, dtype=bool)
            for u in np.flatnonzero(short.any(axis=1)):
                need[(u + 1) * S : (u + 2) * S] = True
            s2, negative2, _ = self._sums(names, G, need=need)
            sums[need, : len(names)] = s2[need, : len(names)]
            negs.update({names[q]: negs.get(names[q], 0) + int(negative2[q]) for q in rest})
        self._check_negative(negs)
        spec = Chains(names, self.chains, self.category_names, self.unit_names, self.empty_category, S)
        return resolve(T, has, sums[:, : len(names)], cells, group, spec, self.negative_counts, self.pieces.n_cells)

    def _check_negative(self, negs: dict) -> None:
        for name, count in negs.items():
            if count and self.negative_weights == "error":
                raise InputError(
                    f"weight layer {name!r}: {count} negative value(s) inside units "
                    f"(set negative_weights: zero to count them as 0, e.g. for VIIRS noise)"
                )
            if count:
                log.warning("weight layer %r: %d negative value(s) inside units taken as 0", name, count)
        self.negative_counts = negs

    def fill_blocks(self, plan: Plan, sink=None, out: np.ndarray | None = None, label: str | None = None) -> np.ndarray:
        """Compute the allocation block by block: into ``out`` (n_categories, ny, nx) float64
        in place, and/or hand each block to ``sink(rows, cols, values)``.

        values is (n_categories, h, w) float64; sink is called in this process, from worker
        threads on the threaded scheduler (it must be thread-safe, e.g. lock a file).
        Blocks without cells inside units are zeros and read nothing.  Returns (and keeps as
        :attr:`unit_sums`) what was placed per label unit and category, (n_categories,
        n_labels) float64.
        """
        S, use_cats, C = plan.n_slots, self.use_cats, self.n_cat
        n_labels = len(self.lut) - 1
        layer_used = np.any(plan.coef != 0, axis=0)  # (layers, groups)
        kernels = {}  # the coefficients of each combination of used layers

        def layers_of(idx):
            if self.block_groups is None:
                return tuple(plan.used)
            return tuple(np.flatnonzero(layer_used[:, self.block_groups[idx]].any(axis=1)))

        def block(item):
            idx, (rows, cols) = item
            if out is not None:
                values = out[:, rows, cols]
            else:
                values = np.empty((C, rows.stop - rows.start, cols.stop - cols.start))
            usums = np.zeros((C, n_labels))
            used = layers_of(idx)  # only the layers the groups of this block allocate by are read
            if used:
                if used not in kernels:
                    q = list(used) + [used[0]] * (MAX_LAYERS - len(used))
                    kernels[used] = np.ascontiguousarray(plan.coef[:, q])
                lb, cb, w0, w1, w2, (pr, pc, pu, pn, pf) = self._read(idx, rows, cols, [plan.layers[q] for q in used])
                allocate_block(
                    lb,
                    self.lut,
                    cb,
                    use_cats,
                    S,
                    w0,
                    w1,
                    w2,
                    len(used),
                    kernels[used],
                    values,
                    usums,
                    pr,
                    pc,
                    pu,
                    pn,
                    pf,
                )
            else:
                values[...] = 0.0
            return values, usums

        def keep(item, result):  # in this process: on a distributed cluster the values come back as copies
            _, (rows, cols) = item
            values, usums = result
            if out is not None and not np.shares_memory(values, out):
                out[:, rows, cols] = values
            if sink is not None:
                sink(rows, cols, values)
            return usums

        parts = run_blocks(block, enumerate(self.blocks), threads=self.threads, label=label, sink=keep)
        self.unit_sums = np.sum(parts, axis=0) if parts else np.zeros((C, n_labels))
        return self.unit_sums

    def into(self, plan: Plan, out: np.ndarray | None = None) -> np.ndarray:
        """The allocation as an in-memory (n_categories, ny, nx) float64 array."""
        shape = (self.n_cat,) + self.shape
        if out is None:
            out = np.empty(shape, dtype="float64")
        elif out.shape != shape or out.dtype != np.float64:
            raise ValueError(f"out must be float64 {shape}, not {out.dtype} {out.shape}")
        self.fill_blocks(plan, out=out)
        return out


def allocate(
    labels,
    weights: dict,
    totals,
    chains: list[list[str]] | None = None,
    categories=None,
    unit_names=None,
    category_names=None,
    chunk: int = 1024,
    threads: int = 1,
    empty_category: str = "unit",
    negative_weights: str = "error",
    lookup=None,
    pieces=None,
) -> tuple[np.ndarray, dict]:
    """Allocate ``totals`` over the cells of each unit; returns (grid, record).

    Without ``chains`` the weights dict is the one fallback chain in its order.  The grid
    is (ny, nx) for one category and (n_categories, ny, nx) otherwise, float64.  The record
    holds ``unit_sums``: what was placed per label unit, (n_labels,) or (n_categories, n_labels).
    """
    chains = chains if chains is not None else [list(weights)]
    alloc = Allocation(
        labels,
        weights,
        chains,
        categories=categories,
        unit_names=unit_names,
        category_names=category_names,
        chunk=chunk,
        threads=threads,
        empty_category=empty_category,
        negative_weights=negative_weights,
        lookup=lookup,
        pieces=pieces,
    )
    p = alloc.plan(totals)
    grid = alloc.into(p)
    record = dict(p.record, unit_sums=alloc.unit_sums[0] if len(chains) == 1 else alloc.unit_sums)
    return (grid[0] if len(chains) == 1 else grid), record
