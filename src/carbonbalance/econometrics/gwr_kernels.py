"""Numba kernels of (multiscale) GWR: neighbour order, local fits, and the smoother products
of the MGWR inference.  Each kernel works on a range of units (``i0 <= i < i1``, its first two
arguments) and releases the GIL, so that :mod:`carbonbalance.econometrics.gwr_engine` runs ranges on threads.

Weights follow the PySAL ``mgwr`` package exactly: distances are Euclidean or haversine
(R = 6371 km); an adaptive bandwidth of ``bw`` neighbours is the ``bw``-th smallest
distance (the unit itself included) times 1.0000001; kernels bisquare (truncated at the
bandwidth), gaussian and exponential of ``d / h``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

BISQUARE, GAUSSIAN, EXPONENTIAL = 0, 1, 2
EPS = 1.0000001


@numba.njit(nogil=True, cache=True)
def _distance(coords, i, j, spherical):
    if spherical:
        dlat = math.radians(coords[j, 1] - coords[i, 1])
        dlon = math.radians(coords[j, 0] - coords[i, 0])
        lat1 = math.radians(coords[j, 1])
        lat2 = math.radians(coords[i, 1])
        a = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        return 6371.0 * (2 * math.asin(math.sqrt(a)))
    dx = coords[i, 0] - coords[j, 0]
    dy = coords[i, 1] - coords[j, 1]
    return math.sqrt(dx * dx + dy * dy)


@numba.njit(nogil=True, cache=True)
def neighbour_order(i0, i1, coords, spherical, order, dist):
    """Rows i0..i1 of the neighbour order (nearest first, the unit itself included) and
    the sorted distances."""
    n = coords.shape[0]
    d = np.empty(n)
    for i in range(i0, i1):
        for j in range(n):
            d[j] = _distance(coords, i, j, spherical)
        o = np.argsort(d, kind="mergesort")
        for p in range(n):
            order[i, p] = o[p]
            dist[i, p] = d[o[p]]


@numba.njit(nogil=True, cache=True)
def _weights(dist_row, bw, adaptive, kernel, w):
    """Weights of one unit's neighbours in neighbour order; returns how many are non-zero
    (all for the gaussian and exponential kernels)."""
    n = dist_row.shape[0]
    h = dist_row[int(bw) - 1] * EPS if adaptive else bw
    m = n
    for p in range(n):
        z = dist_row[p] / h
        if kernel == BISQUARE:
            if dist_row[p] >= h:
                m = p
                break
            w[p] = (1 - z * z) ** 2
        elif kernel == GAUSSIAN:
            w[p] = math.exp(-0.5 * z * z)
        else:
            w[p] = math.exp(-z)
    return m


@numba.njit(nogil=True, cache=True)
def local_fits(i0, i1, y, X, order, dist, bw, adaptive, kernel, params, predy, influ):
    """Local weighted least squares of y on the columns of X at units i0..i1: coefficients,
    fitted values and the hat matrix's diagonal (influence)."""
    n, p = X.shape
    w = np.empty(n)
    xtx = np.empty((p, p))
    xty = np.empty(p)
    for i in range(i0, i1):
        m = _weights(dist[i], bw, adaptive, kernel, w)
        xtx[:, :] = 0.0
        xty[:] = 0.0
        for q in range(m):
            ll = order[i, q]
            wq = w[q]
            for a in range(p):
                xa = X[ll, a] * wq
                xty[a] += xa * y[ll]
                for b in range(p):
                    xtx[a, b] += xa * X[ll, b]
        if p == 1:
            beta = xty[0] / xtx[0, 0]
            params[i, 0] = beta
            predy[i] = X[i, 0] * beta
            influ[i] = X[i, 0] * X[i, 0] / xtx[0, 0]  # the unit's own weight is 1
        else:
            beta = np.linalg.solve(xtx, xty)
            s = np.linalg.solve(xtx, X[i].copy())
            acc = 0.0
            pr = 0.0
            for a in range(p):
                params[i, a] = beta[a]
                pr += X[i, a] * beta[a]
                acc += X[i, a] * s[a]
            predy[i] = pr
            influ[i] = acc


@numba.njit(nogil=True, cache=True)
def projection_rows(i0, i1, X, order, dist, bw, adaptive, kernel, out):
    """Initial partial hat matrices of the MGWR inference: out[i, :, j] = X[i, j] times row
    j of (X' W_i X)^-1 X' W_i, for units i0..i1."""
    n, p = X.shape
    w = np.empty(n)
    xtx = np.empty((p, p))
    for i in range(i0, i1):
        m = _weights(dist[i], bw, adaptive, kernel, w)
        xtx[:, :] = 0.0
        for q in range(m):
            ll = order[i, q]
            for a in range(p):
                xa = X[ll, a] * w[q]
                for b in range(p):
                    xtx[a, b] += xa * X[ll, b]
        inv = np.linalg.inv(xtx)
        for q in range(m):
            ll = order[i, q]
            for j in range(p):
                acc = 0.0
                for a in range(p):
                    acc += inv[j, a] * X[ll, a]
                out[i, ll, j] = X[i, j] * acc * w[q]


@numba.njit(nogil=True, cache=True)
def _smoother_scale(x, order_i, w, m, i):
    """x_i / Σ_l w_il x_l²: the scale of row i of the single-covariate smoother."""
    s = 0.0
    for q in range(m):
        xl = x[order_i[q]]
        s += w[q] * xl * xl
    return x[i] / s


@numba.njit(nogil=True, cache=True)
def smoother_rows(i0, i1, x, order, dist, bw, adaptive, kernel, coef, cols, vals, counts):
    """Sparse rows of the single-covariate smoother A (row i: x_i / Σ w x² times w_il x_l):
    columns and values of rows i0..i1 into cols/vals (n x n capacity), counts per row."""
    n = x.shape[0]
    w = np.empty(n)
    for i in range(i0, i1):
        m = _weights(dist[i], bw, adaptive, kernel, w)
        coef[i] = _smoother_scale(x, order[i], w, m, i)
        for q in range(m):
            ll = order[i, q]
            cols[i, q] = ll
            vals[i, q] = coef[i] * w[q] * x[ll]
        counts[i] = m


@numba.njit(nogil=True, cache=True)
def smoother_dense(i0, i1, x, order, dist, bw, adaptive, kernel, A):
    """Rows i0..i1 of the single-covariate smoother A as a dense matrix; returns nothing."""
    n = x.shape[0]
    w = np.empty(n)
    for i in range(i0, i1):
        m = _weights(dist[i], bw, adaptive, kernel, w)
        c = _smoother_scale(x, order[i], w, m, i)
        for ll in range(n):
            A[i, ll] = 0.0
        for q in range(m):
            ll = order[i, q]
            A[i, ll] = c * w[q] * x[ll]


@numba.njit(nogil=True, cache=True)
def smoother_factors(i0, i1, x, P, order, dist, bw, adaptive, scale, coef, f, counts):
    """Row factors of a bisquare smoother without its truncation (planar distances).

    With P the coordinates centred and divided by ``scale``, G_l = (1, X_l, Y_l, X_l² + Y_l²)
    and f_i = (1 - |P_i|²/h², 2X_i/h², 2Y_i/h², -1/h²) (h in the units of P), the untruncated
    weight (1 - d²/h²)² is (f_i · G_l)², a rank-16 product.  Rows i0..i1: the smoother scale
    into ``coef``, f_i into ``f``, and the number of neighbours within the bandwidth (the
    first ``counts[i]`` of the neighbour order) into ``counts``."""
    n = x.shape[0]
    w = np.empty(n)
    for i in range(i0, i1):
        m = _weights(dist[i], bw, adaptive, BISQUARE, w)
        coef[i] = _smoother_scale(x, order[i], w, m, i)
        h = (dist[i, int(bw) - 1] * EPS if adaptive else bw) / scale
        h2 = h * h
        f[i, 0] = 1.0 - (P[i, 0] * P[i, 0] + P[i, 1] * P[i, 1]) / h2
        f[i, 1] = 2.0 * P[i, 0] / h2
        f[i, 2] = 2.0 * P[i, 1] / h2
        f[i, 3] = -1.0 / h2
        counts[i] = m


@numba.njit(nogil=True, cache=True)
def truncation_times(i0, i1, x, P, order, coef, f, counts, M, out):
    """out[i] -= Σ over the neighbours beyond the bandwidth (order[i, counts[i]:]) of the
    untruncated smoother entry times M[l]: what the rank-16 product added there."""
    n, ncol = M.shape
    for i in range(i0, i1):
        for q in range(counts[i], n):
            ll = order[i, q]
            u = f[i, 0] + f[i, 1] * P[ll, 0] + f[i, 2] * P[ll, 1] + f[i, 3] * (P[ll, 0] ** 2 + P[ll, 1] ** 2)
            v = coef[i] * u * u * x[ll]
            row = M[ll]
            for c in range(ncol):
                out[i, c] -= v * row[c]


@numba.njit(nogil=True, cache=True)
def lowrank_fits(i0, i1, y, x, P, order, dist, bw, adaptive, scale, Mxy, Mxx, params, predy, influ):
    """Single-covariate local fits with a near-global bisquare on planar coordinates: the
    weighted sums Σ_l w_il x_l y_l and Σ_l w_il x_l² as f_i' M f_i with the 4 x 4 moments
    M = Σ_l z_l G_l G_l' of all units (:func:`smoother_factors`), minus the neighbours
    beyond the bandwidth, instead of a pass over every neighbour.  Units i0..i1."""
    n = x.shape[0]
    f = np.empty(4)
    for i in range(i0, i1):
        h = dist[i, int(bw) - 1] * EPS if adaptive else bw
        m = np.searchsorted(dist[i], h)  # the first neighbour at or beyond h: _weights' count
        hs = h / scale
        h2 = hs * hs
        f[0] = 1.0 - (P[i, 0] * P[i, 0] + P[i, 1] * P[i, 1]) / h2
        f[1] = 2.0 * P[i, 0] / h2
        f[2] = 2.0 * P[i, 1] / h2
        f[3] = -1.0 / h2
        sxy = 0.0
        sxx = 0.0
        for a in range(4):
            for b in range(4):
                sxy += f[a] * Mxy[a, b] * f[b]
                sxx += f[a] * Mxx[a, b] * f[b]
        for q in range(m, n):
            ll = order[i, q]
            u = f[0] + f[1] * P[ll, 0] + f[2] * P[ll, 1] + f[3] * (P[ll, 0] ** 2 + P[ll, 1] ** 2)
            w = u * u * x[ll]
            sxy -= w * y[ll]
            sxx -= w * x[ll]
        beta = sxy / sxx
        params[i, 0] = beta
        predy[i] = x[i] * beta
        influ[i] = x[i] * x[i] / sxx
