"""Numba kernels of the mass-conserving allocation (see :mod:`carbonbalance.emissions.allocation`).

Group g of a cell is ``(unit + 1) · S + slot`` with S = number of categories + 1 and
slot 0 = the cell has no category, slot k+1 = category k (without categories: slot 1).
"""

from __future__ import annotations

import numba
import numpy as np

from carbonbalance.core.runs import run_end

MAX_LAYERS = 3

_FM = {"reassoc", "contract"}  # reassociation only (no nnan): NaN and negatives are still seen


@numba.njit(nogil=True, cache=True, fastmath=_FM)
def _run_sum(w):
    """Sum of the positive values of the 1-d ``w`` (NaN = 0) and the number of negative ones."""
    s = 0.0
    n = 0
    for t in range(w.shape[0]):
        x = np.float64(w[t])
        s += x if x > 0.0 else 0.0
        n += 1 if x < 0.0 else 0
    return s, n


@numba.njit(nogil=True, cache=True)
def _row_groups(labels, lut, cats, use_cats, n_slots, n_groups, i, gs):
    """Groups of row i into gs (int32): ``(lut[label + 1] + 1) · S + slot``.  Labels or
    categories out of range make group 0 (outside, nothing allocated) and are counted."""
    lrow = labels[i]
    nl = lut.shape[0]
    bad = 0
    if use_cats:
        crow = cats[i]
        for t in range(gs.shape[0]):
            lab = lrow[t] + 1
            slot = crow[t] + 1
            ok = 0 <= lab < nl and 0 <= slot < n_slots
            gs[t] = (lut[lab] + 1) * n_slots + slot if ok else 0
            bad += 0 if ok else 1
    else:
        for t in range(gs.shape[0]):
            lab = lrow[t] + 1
            ok = 0 <= lab < nl
            gs[t] = (lut[lab] + 1) * n_slots + 1 if ok else 0
            bad += 0 if ok else 1
    return bad


@numba.njit(nogil=True, cache=True)
def _piece_group(prow, pcol, punit, k, cats, use_cats, n_slots, n_groups):
    """Group of piece k, or -1 when its category is out of range."""
    slot = cats[prow[k], pcol[k]] + 1 if use_cats else 1
    g = (punit[k] + 1) * n_slots + slot
    return g if (0 <= slot < n_slots and 0 <= g < n_groups) else -1


@numba.njit(nogil=True, cache=True)
def group_sums(
    labels, lut, cats, use_cats, n_slots, w0, w1, w2, n_layers, need, use_need, n_groups, prow, pcol, punit, pfrac
):
    """Per group: sums of the positive weights of layers 0..n_layers-1 and the cell count.

    labels (ny, nx) int, -1 outside units, mapped to the allocation's units by ``lut``
    (``lut[label + 1]``, ``lut[0] = -1``); cats (ny, nx) int, -1 = no category, read only
    if ``use_cats``; w0..w2 (ny, nx) float; need (n_groups,) bool: with ``use_need`` only
    the cells of needed groups are counted (and their weights read).  Works on runs of
    equal groups along rows, so that the weight sums are vectorised.  The pieces (local
    row, col, allocation unit, fraction f; sorted by cell) of partly covered cells add
    f · weight and f cells.

    Returns sums float64 (n_groups, 4) = [layer 0, layer 1, layer 2, cells], negative
    int64 (3,) = negative weights inside units per layer, and the number of cells or
    pieces whose label or category is out of range (they count as outside).
    """
    sums = np.zeros((n_groups, 4))
    negative = np.zeros(3, dtype=np.int64)
    bad = 0
    nx = labels.shape[1]
    gs = np.empty(nx, dtype=np.int32)
    for i in range(labels.shape[0]):
        bad += _row_groups(labels, lut, cats, use_cats, n_slots, n_groups, i, gs)
        a = 0
        while a < nx:
            b = run_end(gs, a)
            g = gs[a]
            if not use_need or need[g]:
                inside = g >= n_slots
                sums[g, 3] += b - a
                s, n = _run_sum(w0[i, a:b])
                sums[g, 0] += s
                negative[0] += n if inside else 0
                if n_layers > 1:
                    s, n = _run_sum(w1[i, a:b])
                    sums[g, 1] += s
                    negative[1] += n if inside else 0
                if n_layers > 2:
                    s, n = _run_sum(w2[i, a:b])
                    sums[g, 2] += s
                    negative[2] += n if inside else 0
            a = b
    last = -1
    for k in range(prow.shape[0]):
        g = _piece_group(prow, pcol, punit, k, cats, use_cats, n_slots, n_groups)
        if g < 0:
            bad += 1
            continue
        if use_need and not need[g]:
            continue
        r, c, f = prow[k], pcol[k], pfrac[k]
        first = r * nx + c != last  # negative weights are counted once per cell
        last = r * nx + c
        sums[g, 3] += f
        for q in range(n_layers):
            x = np.float64(w0[r, c] if q == 0 else (w1[r, c] if q == 1 else w2[r, c]))
            if x > 0.0:
                sums[g, q] += f * x
            elif x < 0.0 and first:
                negative[q] += 1
    return sums, negative, bad


@numba.njit(nogil=True, cache=True)
def allocate_block(
    labels, lut, cats, use_cats, n_slots, w0, w1, w2, n_layers, coef, out, usums, prow, pcol, punit, pfinest, pfrac
):
    """out[k, i, j] = Σ_q coef[k, q, g] · max(w_q[i, j], 0) for the group g of cell (i, j),
    plus f times that for every piece of a partly covered cell; usums[k, u] += what is
    placed in finest unit u (its label, or the piece's unit).

    coef (n_categories, 3, n_groups) float64 (zero for groups outside units; an
    out-of-range group reads group 0); NaN weights give 0; out (n_categories, ny, nx)
    float64; usums (n_categories, n_finest) float64.  A gather and a multiply-add per
    cell and used layer, vectorised along rows.
    """
    n_groups = coef.shape[2]
    nx = labels.shape[1]
    n_finest = usums.shape[1]
    gs = np.empty(nx, dtype=np.int32)
    for i in range(labels.shape[0]):
        _row_groups(labels, lut, cats, use_cats, n_slots, n_groups, i, gs)
        lrow = labels[i]
        r0 = w0[i]
        r1 = w1[i]
        r2 = w2[i]
        for k in range(out.shape[0]):
            c0 = coef[k, 0]
            c1 = coef[k, 1]
            c2 = coef[k, 2]
            o = out[k, i]
            u = usums[k]
            for t in range(nx):
                g = gs[t]
                a = r0[t]
                v = c0[g] * (a if a > 0.0 else 0.0)
                if n_layers > 1:
                    b = r1[t]
                    v += c1[g] * (b if b > 0.0 else 0.0)
                if n_layers > 2:
                    c = r2[t]
                    v += c2[g] * (c if c > 0.0 else 0.0)
                o[t] = v
                lab = lrow[t]
                if 0 <= lab < n_finest:
                    u[lab] += v
    for p in range(prow.shape[0]):
        g = _piece_group(prow, pcol, punit, p, cats, use_cats, n_slots, n_groups)
        if g < 0:
            continue
        r, c, f = prow[p], pcol[p], pfrac[p]
        a = w0[r, c]
        b = w1[r, c]
        d = w2[r, c]
        for k in range(out.shape[0]):
            v = coef[k, 0, g] * (a if a > 0.0 else 0.0)
            if n_layers > 1:
                v += coef[k, 1, g] * (b if b > 0.0 else 0.0)
            if n_layers > 2:
                v += coef[k, 2, g] * (d if d > 0.0 else 0.0)
            v *= f
            out[k, r, c] += v
            usums[k, pfinest[p]] += v
