"""W's spectrum, computed once per W, and the pieces of the concentrated likelihood that
depend on it: the stable interval of ρ, log|I − ρW|, Lee & Yu's effective N and T, and
the trace terms of the information matrix."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from carbonbalance.errors import ConfigError

# ----------------------------------------------------------------------------- spatial algebra


def symmetrizer(W) -> np.ndarray | None:
    """Positive d with diag(d) W symmetric (W similar to a symmetric matrix), or None.

    A row-standardised W built from symmetric weights (contiguity, distance bands) is
    W = D⁻¹A; d is then proportional to A's row sums within each connected component,
    found by walking a spanning tree: d_j = d_i w_ij / w_ji.
    """
    from scipy.sparse import csgraph

    W = sparse.csr_matrix(W)
    if (W != W.T).nnz and ((W > 0) != (W.T > 0)).nnz:
        return None
    if (W.data < 0).any():
        return None
    n = W.shape[0]
    d = np.zeros(n)
    _, comp = csgraph.connected_components(W, directed=False)
    for c in np.unique(comp):
        root = int(np.flatnonzero(comp == c)[0])
        order, pred = csgraph.breadth_first_order(W, root, directed=False, return_predecessors=True)
        d[root] = 1.0
        for j in order[1:]:
            i = pred[j]
            d[j] = d[i] * W[i, j] / W[j, i]
    S = W.multiply(d[:, None]).tocsr()
    if abs(S - S.T).max() > 1e-10 * max(abs(S).max(), 1e-300):
        return None
    return d


_SPECTRA: dict[str, Spatial] = {}


@dataclass
class Spatial:
    """Dense W, its eigenvalues and the likelihood's Jacobian, computed once per W.

    The models, robustness runs and effects of one stage share a W; ``of`` keeps the last
    few spectra by content, so the O(N³) eigenvalues are not recomputed for each fit.
    """

    W: sparse.csr_matrix
    dense: np.ndarray
    eig: np.ndarray
    row_standardised: bool
    bounds: tuple[float, float]

    @classmethod
    def of(cls, W):
        W = sparse.csr_matrix(W)
        W.sort_indices()
        key = hashlib.sha1(
            b"".join(np.ascontiguousarray(a).tobytes() for a in (np.asarray(W.shape), W.indptr, W.indices, W.data))
        ).hexdigest()
        if key not in _SPECTRA:
            _SPECTRA[key] = cls._compute(W)
            while len(_SPECTRA) > 4:
                _SPECTRA.pop(next(iter(_SPECTRA)))
        return _SPECTRA[key]

    @classmethod
    def _compute(cls, W):
        dense = W.toarray()
        d = symmetrizer(W)
        if d is not None:  # W = D⁻¹A with A symmetric: real spectrum of D^½ W D^-½, 5× faster
            r = np.sqrt(d)
            sym = dense * r[:, None] / r[None, :]
            eig = np.linalg.eigvalsh((sym + sym.T) / 2).astype("complex128")
        else:
            eig = np.linalg.eigvals(dense)
        rs = W.sum(axis=1).A1
        row_std = bool(np.allclose(rs, 1.0, atol=1e-10))
        real = eig.real
        lo = 1.0 / real.min() if real.min() < 0 else -1.0 / real.max()
        hi = 1.0 / real.max()
        margin = 1e-6 * (hi - lo)
        return cls(W=W, dense=dense, eig=eig, row_standardised=row_std, bounds=(lo + margin, hi - margin))

    def logdet(self, rho: float) -> float:
        """log |I − ρW| (real; conjugate eigenvalue pairs cancel their phases)."""
        return float(np.sum(np.log(np.abs(1.0 - rho * self.eig))))


@dataclass
class Dims:
    """Effective N and T of the likelihood (Lee & Yu's transformation drops one of each)."""

    N: int
    T: int
    drop_unit_root: bool  # time effects under Lee–Yu: |I − ρW*| = |I − ρW| / (1 − ρ)


def dims(N, T, effects, lee_yu, sp: Spatial) -> Dims:
    if not lee_yu or effects == "none":
        return Dims(N, T, False)
    time_fx = effects in ("time", "twoways")
    if time_fx and not sp.row_standardised:
        raise ConfigError("econometrics: lee_yu with time effects needs a row-standardised W")
    return Dims(N - 1 if time_fx else N, T - 1 if effects in ("unit", "twoways") else T, time_fx)


def jacobian(rho, sp, d: Dims) -> float:
    ld = sp.logdet(rho)
    if d.drop_unit_root:
        ld -= np.log(1.0 - rho)
    return d.T * ld


def maximise(f, bounds) -> float:
    """Maximise a scalar function on ``bounds``: a grid for the basin, then bounded Brent."""
    grid = np.linspace(bounds[0], bounds[1], 81)
    vals = np.array([f(r) for r in grid])
    i = int(np.nanargmax(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(
        lambda r: -f(r), bounds=(lo, hi), method="bounded", options={"xatol": 1e-10, "maxiter": 500}
    )
    return float(res.x)


def trace_terms(dense, rho, transform_time: bool):
    """G = W (I − ρW)⁻¹ (centred J G J for time effects under Lee–Yu); tr G, tr GG, tr G'G."""
    n = dense.shape[0]
    G = np.linalg.solve((np.eye(n) - rho * dense).T, dense.T).T  # W (I − ρW)⁻¹
    if transform_time:
        G = G - G.mean(axis=0, keepdims=True)
        G = G - G.mean(axis=1, keepdims=True)
    return G, float(np.trace(G)), float(np.sum(G * G.T)), float(np.sum(G * G))


# ----------------------------------------------------------------------------- results
