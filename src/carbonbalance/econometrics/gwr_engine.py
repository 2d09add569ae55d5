"""(Multiscale) GWR: the PySAL ``mgwr`` package's algorithm, step for step, on precomputed
neighbour orders (SPEC §8, Zhu2026).

The package recomputes every unit's distances and partially sorts them for each local
fit of every bandwidth it tries; here each unit's neighbours are sorted once, a local fit
visits only the neighbours with a non-zero weight, and the fits run in numba kernels on
ranges of units across threads (:mod:`carbonbalance.econometrics.gwr_kernels`).  The search
(golden section over integer neighbour counts, AICc of the Gaussian log-likelihood), the
back-fitting (score of change, bandwidths kept after five unchanged iterations) and the
inference (the partial hat matrices replayed through the back-fitting history, Li &
Fotheringham 2020) are those of ``mgwr`` 2.2, so bandwidths are identical and
coefficients and standard errors agree to rounding (tests/econometrics/test_gwr.py,
benchmarks/econometrics.py --mgwr).
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from carbonbalance.econometrics import gwr_kernels as k

log = logging.getLogger(__name__)

KERNELS = {"bisquare": k.BISQUARE, "gaussian": k.GAUSSIAN, "exponential": k.EXPONENTIAL}
DELTA = 0.38197  # 1 - (sqrt(5) - 1) / 2, as mgwr


def _ranges(n: int, threads: int, min_size: int = 64) -> list[tuple[int, int]]:
    parts = max(1, min(threads * 4, n // min_size))
    edges = np.linspace(0, n, parts + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


class Space:
    """The units' coordinates, their neighbour order and the kernel: what every fit shares."""

    def __init__(self, coords, spherical=False, kernel="bisquare", fixed=False, threads=1):
        if kernel not in KERNELS:
            raise ValueError(f"kernel {kernel!r} is not one of {list(KERNELS)}")
        self.coords = np.ascontiguousarray(coords, dtype="float64")
        self.n = len(self.coords)
        self.spherical, self.kernel, self.fixed, self.threads = bool(spherical), KERNELS[kernel], fixed, threads
        self.order = np.empty((self.n, self.n), dtype="int32")
        self.dist = np.empty((self.n, self.n), dtype="float64")
        self.run(k.neighbour_order, self.coords, self.spherical, self.order, self.dist)

    def run(self, kernel, *args) -> None:
        """``kernel(i0, i1, *args)`` over ranges of units, on ``threads`` threads."""
        ranges = _ranges(self.n, self.threads)
        if self.threads <= 1 or len(ranges) == 1:
            for a, b in ranges:
                kernel(a, b, *args)
            return
        with ThreadPoolExecutor(self.threads) as ex:
            list(ex.map(lambda r: kernel(*r, *args), ranges))

    def fit(self, y: np.ndarray, X: np.ndarray, bw: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Local fits at every unit: (params n x p, fitted values, influence)."""
        y = np.ascontiguousarray(y, dtype="float64").ravel()
        X = np.ascontiguousarray(X, dtype="float64")
        params = np.empty(X.shape)
        predy, influ = np.empty(self.n), np.empty(self.n)
        adaptive = not self.fixed
        if X.shape[1] == 1 and self.lowrank_fits(bw):
            P, scale = self.planar()
            G = np.column_stack([np.ones(self.n), P[:, 0], P[:, 1], P[:, 0] ** 2 + P[:, 1] ** 2])
            x = X[:, 0]
            Mxy, Mxx = (G.T * (x * y)) @ G, (G.T * (x * x)) @ G
            self.run(k.lowrank_fits, y, x, P, self.order, self.dist, float(bw), adaptive, scale, Mxy, Mxx, params,
                     predy, influ)  # fmt: skip
            return params, predy, influ
        self.run(k.local_fits, y, X, self.order, self.dist, float(bw), adaptive, self.kernel, params, predy, influ)
        return params, predy, influ

    def planar(self) -> tuple[np.ndarray, float]:
        """The coordinates centred and divided by their largest absolute value, and that scale:
        the frame of the low-rank bisquare (well conditioned whatever the CRS's false origin)."""
        if not hasattr(self, "_planar"):
            centred = self.coords - self.coords.mean(axis=0)
            scale = float(np.abs(centred).max()) or 1.0
            self._planar = (np.ascontiguousarray(centred / scale), scale)
        return self._planar

    def lowrank_fits(self, bw: float) -> bool:
        """Whether single-covariate fits at ``bw`` go through :func:`gwr_kernels.lowrank_fits`:
        a bisquare on planar coordinates with at most a sixteenth of the neighbours beyond
        the bandwidth (near-global bandwidths, where a pass over every neighbour is n² work)."""
        if self.kernel != k.BISQUARE or self.spherical:
            return False
        if self.fixed:
            return np.count_nonzero(self.dist >= bw) * 16 <= self.n * self.n
        return (self.n - min(int(bw), self.n)) * 16 <= self.n

    def spatial_order(self) -> np.ndarray:
        if not hasattr(self, "_spatial_order"):
            self._spatial_order = spatial_order(self.coords)
        return self._spatial_order

    def min_max_distance(self) -> tuple[float, float]:
        return float(self.dist[:, 1].min()), float(self.dist[:, -1].max())


def criterion_value(criterion: str, y: np.ndarray, resid: np.ndarray, influ: np.ndarray) -> float:
    """AICc, AIC, BIC or CV of a Gaussian (M)GWR fit, as ``mgwr.diagnostics``."""
    n = len(y)
    tr_s = float(np.sum(influ))
    if criterion == "CV":
        return float(np.sum((resid / (1.0 - influ)) ** 2) / n)
    nobs2 = n / 2.0
    llf = -math.log(float(np.sum(resid**2))) * nobs2 - (1 + math.log(math.pi / nobs2)) * nobs2
    if criterion == "AICc":
        return -2.0 * llf + 2.0 * n * (tr_s + 1.0) / (n - tr_s - 2.0)
    if criterion == "AIC":
        return -2.0 * llf + 2.0 * (tr_s + 1)
    if criterion == "BIC":
        return -2.0 * llf + (tr_s + 1) * math.log(n)
    raise ValueError(f"criterion {criterion!r} is not AICc, AIC, BIC or CV")


def golden_section(a, c, function, tol=1.0e-6, max_iter=200, int_score=True):
    """mgwr's golden-section search (``mgwr.search.golden_section``), bounded above."""
    b = a + DELTA * abs(c - a)
    d = c - DELTA * abs(c - a)
    opt_val, opt_score = None, np.inf
    diff, iters, seen = 1.0e9, 0, {}
    while abs(diff) > tol and iters < max_iter and a != np.inf:
        iters += 1
        if int_score:
            b, d = np.round(b), np.round(d)
        if b not in seen:
            seen[b] = function(b)
        if d not in seen:
            seen[d] = function(d)
        score_b, score_d = seen[b], seen[d]
        if score_b <= score_d:
            opt_val, opt_score = b, score_b
            c, d = d, b
            b = a + DELTA * abs(c - a)
        else:
            opt_val, opt_score = d, score_d
            a, b = b, d
            d = c - DELTA * abs(c - a)
        opt_val = np.round(opt_val, 2)  # mgwr keeps the optimum to two decimals (fixed bandwidths)
        diff = score_b - score_d
    return opt_val, opt_score


def search(space: Space, y, X, criterion="AICc", bw_min=None, bw_max=None, tol=1.0e-6, max_iter=200) -> float:
    """The bandwidth of a GWR of y on X minimising ``criterion`` (mgwr's ``Sel_BW.search``)."""
    y = np.asarray(y, dtype="float64").ravel()
    if space.fixed:
        lo, hi = space.min_max_distance()
        a, c = lo / 2.0, hi * 2.0
    else:
        a, c = 40 + 2 * X.shape[1], space.n
    a = bw_min if bw_min is not None else a
    c = bw_max if bw_max is not None and bw_max is not np.inf else c

    evaluations = []
    t0 = time.perf_counter()

    def score(bw):
        _, predy, influ = space.fit(y, X, bw)
        value = criterion_value(criterion, y, y - predy, influ)
        evaluations.append((bw, value))
        log.debug("bandwidth %g: %s %.6g", bw, criterion, value)
        return value

    bw, value = golden_section(a, c, score, tol, max_iter, int_score=not space.fixed)
    log.info(
        "bandwidth search over [%g, %g] (%d covariate(s)): %g, %s %.6g after %d fits in %.1f s",
        a, c, X.shape[1], bw, criterion, value, len(evaluations), time.perf_counter() - t0,
    )  # fmt: skip
    return bw


def backfit(space: Space, y, X, init_bw, criterion="AICc", bw_min=None, bw_max=None, tol=1.0e-5, max_iter=200,
            same_times=5):  # fmt: skip
    """MGWR back-fitting (``mgwr.search.multi_bw``): per-covariate bandwidths searched on the
    partial residuals until the score of change is below ``tol``.  Returns (bandwidths, their
    history per iteration, params, residuals)."""
    y = np.asarray(y, dtype="float64").ravel()
    n, p = X.shape
    params, predy, _ = space.fit(y, X, init_bw)
    err = y - predy
    XB = params * X
    bws = np.empty(p)
    history, stable = [], 0
    for it in range(1, max_iter + 1):
        new_xb = np.zeros_like(X)
        params = np.zeros_like(X)
        for j in range(p):
            temp_y = XB[:, j] + err
            xj = X[:, j : j + 1]
            if stable >= same_times:
                bw = bws[j]
            else:
                bw = search(space, temp_y, xj, criterion, bw_min, bw_max)
            pj, pred, _ = space.fit(temp_y, xj, bw)
            err = temp_y - pred
            new_xb[:, j] = pred
            params[:, j] = pj[:, 0]
            bws[j] = bw
        stable = stable + 1 if it > 1 and np.all(history[-1] == bws) else 0
        num = np.sum((new_xb - XB) ** 2) / n
        den = np.sum(np.sum(new_xb, axis=1) ** 2)
        score = (num / den) ** 0.5
        XB = new_xb
        history.append(bws.copy())
        log.info("MGWR back-fitting iteration %d: score of change %.3g, bandwidths %s", it, score, bws.tolist())
        if score < tol:
            break
    return bws.copy(), np.array(history), params, err


SPARSE_COST = 40  # measured: a dense product through BLAS is about 40 times faster per entry than a sparse kernel
BLOCK_COST = 2.0  # measured: per entry, a product by row blocks costs 2 dense entries (gathers, small GEMMs)
BLOCK_ROWS = 96  # units per row block: 64-128 measured alike at 2,870 units
RANK = 16  # the untruncated bisquare weight (1 - d²/h²)² is a rank-16 product of planar coordinates


def spatial_order(coords: np.ndarray, bits: int = 10) -> np.ndarray:
    """The units in Morton (Z-curve) order of their coordinates: consecutive units are close,
    so a run of them shares most of its neighbours."""
    c = coords - coords.min(axis=0)
    c = (c / (float(c.max()) or 1.0) * (2**bits - 1)).astype(np.int64)
    code = np.zeros(len(c), dtype=np.int64)
    for b in range(bits):
        code |= (((c[:, 0] >> b) & 1) << (2 * b)) | (((c[:, 1] >> b) & 1) << (2 * b + 1))
    return np.argsort(code, kind="stable")


class SmootherBlocks:
    """A compactly supported smoother as dense row blocks: for each run of ``BLOCK_ROWS``
    units in :func:`spatial_order`, the rows restricted to the union of their neighbours.
    ``times(M, out)`` is then one small matrix product per block (BLAS) on the gathered rows
    of M; what an intermediate bisquare bandwidth needs, where rows are too full for a
    sparse kernel and too empty for a dense product."""

    def __init__(self, space: Space, x: np.ndarray, bw: float):
        n = space.n
        coef, counts = np.empty(n), np.empty(n, dtype="int64")
        cols, vals = np.empty((n, n), dtype="int32"), np.empty((n, n))
        space.run(k.smoother_rows, x, space.order, space.dist, float(bw), not space.fixed, space.kernel, coef, cols,
                  vals, counts)  # fmt: skip
        self.threads = space.threads
        self.blocks = []
        units = space.spatial_order()
        for b0 in range(0, n, BLOCK_ROWS):
            rows = units[b0 : b0 + BLOCK_ROWS]
            c = counts[rows]
            width = int(c.max())
            inside = np.arange(width)[None, :] < c[:, None]
            neighbours, where = np.unique(cols[rows, :width][inside], return_inverse=True)
            A = np.zeros((len(rows), len(neighbours)))
            A[np.repeat(np.arange(len(rows)), c), where] = vals[rows, :width][inside]
            self.blocks.append((rows, neighbours, A))
        self.volume = sum(A.size for _, _, A in self.blocks) / float(n * n)  # share of a dense product

    def times(self, M: np.ndarray, out: np.ndarray) -> None:
        """out = A @ M."""

        def block(b):
            rows, neighbours, A = b
            out[rows] = A @ M[neighbours]

        if self.threads <= 1:
            for b in self.blocks:
                block(b)
            return
        with ThreadPoolExecutor(self.threads) as ex:
            list(ex.map(block, self.blocks))


def product_kind(space: Space, bw: float) -> str:
    """How the inference multiplies by a bandwidth's smoother, whichever costs least per
    column: ``"blocks"`` (:class:`SmootherBlocks`, for the bisquare's compact support),
    ``"lowrank"`` (a bisquare on planar coordinates: the untruncated kernel as a rank-16
    product, minus the few entries beyond the bandwidth; what a near-global bandwidth needs)
    or ``"dense"`` (BLAS on the whole matrix).  A block of B compact units with k neighbours
    each spans about k + B + 2·sqrt(kB) columns, which sets the block volume."""
    n = space.n
    if space.kernel != k.BISQUARE:
        return "dense"
    if space.fixed:
        inside = int(np.count_nonzero(space.dist < bw))
    else:
        inside = n * min(int(bw), n)
    per_row = inside / float(n)
    volume = min(1.0, (per_row + BLOCK_ROWS + 2.0 * math.sqrt(per_row * BLOCK_ROWS)) / n)
    costs = {"dense": float(n) * n, "blocks": BLOCK_COST * volume * n * n}
    if not space.spherical:
        costs["lowrank"] = 2.0 * RANK * n + float(n * n - inside) * SPARSE_COST
    return min(costs, key=costs.get)


def lowrank_times(space: Space, x, bw, M, out, work) -> None:
    """out = A @ M for the bisquare smoother A of covariate ``x`` at bandwidth ``bw``, as
    (rank-16 untruncated kernel) @ M minus the entries beyond the bandwidth."""
    n = space.n
    P, scale = work["P"], work["scale"]
    coef, f, counts = work["coef"], work["f"], work["counts"]
    space.run(k.smoother_factors, x, P, space.order, space.dist, float(bw), not space.fixed, scale, coef, f, counts)
    G = np.column_stack([np.ones(n), P[:, 0], P[:, 1], P[:, 0] ** 2 + P[:, 1] ** 2])
    G2 = (G[:, :, None] * G[:, None, :]).reshape(n, RANK) * x[:, None]
    F2 = (f[:, :, None] * f[:, None, :]).reshape(n, RANK) * coef[:, None]
    np.matmul(F2, G2.T @ M, out=out)
    space.run(k.truncation_times, x, P, space.order, coef, f, counts, M, out)


def inference(space: Space, X, init_bw, history) -> tuple[np.ndarray, np.ndarray]:
    """ENP and squared standard-error factors per covariate (``MGWR.fit``): the partial hat
    matrices of the initial GWR replayed through the back-fitting's bandwidth history.

    Returns (ENP_j (p,), CCT (n, p)).  Each smoother product runs the cheapest way for its
    bandwidth (:func:`product_kind`): dense row blocks over the neighbours, a rank-16 product with a
    sparse correction for a near-global bisquare, else a dense matrix product (BLAS).
    """
    X = np.ascontiguousarray(X, dtype="float64")
    n, p = X.shape
    adaptive = not space.fixed
    pR = np.zeros((n, n, p))
    space.run(k.projection_rows, X, space.order, space.dist, float(init_bw), adaptive, space.kernel, pR)
    pR = np.ascontiguousarray(np.moveaxis(pR, 2, 0))  # (p, n, n): one contiguous matrix per covariate
    err = np.eye(n) - pR.sum(axis=0)
    old, A = np.empty((n, n)), np.empty((n, n))
    blocks = {}
    coef, counts = np.empty(n), np.empty(n, dtype="int64")
    work = None
    steps = len(history) * p
    for it, bws in enumerate(history):
        for j in range(p):
            np.add(pR[j], err, out=old)
            x = np.ascontiguousarray(X[:, j])
            bw = float(bws[j])
            kind = product_kind(space, bw)
            if kind == "blocks":
                if blocks.get(j, (None,))[0] != bw:  # a covariate's bandwidth is the same for most iterations
                    blocks[j] = (bw, SmootherBlocks(space, x, bw))
                blocks[j][1].times(old, pR[j])
            elif kind == "lowrank":
                if work is None:
                    P, scale = space.planar()
                    work = {"P": P, "scale": scale, "coef": coef, "f": np.empty((n, 4)), "counts": counts}
                lowrank_times(space, x, bw, old, pR[j], work)
            else:
                space.run(k.smoother_dense, x, space.order, space.dist, bw, adaptive, space.kernel, A)
                np.matmul(A, old, out=pR[j])
            np.subtract(old, pR[j], out=err)
        log.info("MGWR inference: %d of %d back-fitting steps replayed", (it + 1) * p, steps)
    enp = np.array([np.trace(pR[j]) for j in range(p)])
    cct = np.column_stack([((pR[j] / X[:, j : j + 1]) ** 2).sum(axis=1) for j in range(p)])
    return enp, cct
