"""A plain, vectorised numpy implementation of SPEC §3, written independently of the kernel.

It exists to check :mod:`carbonbalance.casa.kernels` (tests compare every term) and as the
baseline of ``benchmarks/casa.py``.  It follows the SPEC text line by line on whole
arrays of shape (12, ...) and makes no attempt to be fast or memory-frugal.
"""

from __future__ import annotations

import numpy as np

from carbonbalance.casa.params import TYPES, CasaParams


def ndvi_percentile_limits(ndvi, vtype, params: CasaParams, mask=None):
    """Exact per-type percentiles of NDVI > 0 (numpy 'linear'), table values where absent or too few."""
    mins, maxs = params.table_limits()
    lo_q, hi_q = params.percentiles
    for k in range(len(TYPES)):
        sel = vtype == k
        if mask is not None:
            sel &= mask
        v = ndvi[:, sel]
        v = v[v > 0]
        if v.size >= params.min_percentile_samples:
            mins[k], maxs[k] = np.percentile(v, [lo_q, hi_q])
    return mins, maxs


def casa_numpy(
    ndvi,
    temperature,
    precipitation,
    radiation,
    vtype,
    params: CasaParams,
    ndvi_min,
    ndvi_max,
    days=None,
    daylength=None,
) -> dict:
    """All monthly terms (12, ...) and annual sums (...) for cells with ``vtype >= 0``.

    ``vtype`` is the CASA type index per cell (-1/-2 = none).  Cells without a type, with
    a missing climate month or with no valid NDVI are NaN.  Missing NDVI months get
    FPAR = FPARmin (the default ``missing_ndvi_month``).  With the day-length correction,
    ``daylength`` (12, ...) in hours and ``days`` (12,) are required.
    """
    nd = np.asarray(ndvi, dtype="float64")
    T = np.asarray(temperature, dtype="float64")
    P = np.asarray(precipitation, dtype="float64")
    S = np.asarray(radiation, dtype="float64")
    vt = np.asarray(vtype)
    k = np.where(vt >= 0, vt, 0).astype(int)
    valid = (vt >= 0) & np.isfinite(T).all(0) & np.isfinite(P).all(0) & np.isfinite(S).all(0) & np.isfinite(nd).any(0)
    fmin, fmax = params.fpar_min, params.fpar_max
    nmin = np.asarray(ndvi_min)[k]
    nmax = np.asarray(ndvi_max)[k]

    # FPAR from NDVI and simple ratio, each clamped, then combined and clamped
    f1 = np.clip((nd - nmin) / (nmax - nmin) * (fmax - fmin) + fmin, fmin, fmax)
    ndc = np.clip(nd, nmin, nmax)
    sr = (1 + ndc) / (1 - ndc)
    srmin = (1 + nmin) / (1 - nmin)
    srmax = (1 + nmax) / (1 - nmax)
    f2 = np.clip((sr - srmin) / (srmax - srmin) * (fmax - fmin) + fmin, fmin, fmax)
    fpar = np.clip(params.alpha * f1 + (1 - params.alpha) * f2, fmin, fmax)
    fpar = np.where(np.isnan(nd), fmin, fpar)

    # Topt: temperature of the (first) month of peak NDVI
    peak = np.nanargmax(np.where(np.isnan(nd), -np.inf, nd), axis=0)
    topt = np.take_along_axis(T, peak[None], axis=0)[0]

    t1 = 0.8 + 0.02 * topt - 0.0005 * topt**2
    if params.t_eps1_floor:
        t1 = np.maximum(t1, 0.0)
    t_eps1 = np.where(T <= -10, 0.0, t1[None] * np.ones_like(T))
    C = params.t_eps2_constant

    def te2(t):
        return C / (1 + np.exp(0.2 * (topt - 10 - t))) / (1 + np.exp(0.3 * (-topt - 10 + t)))

    t_eps2 = te2(T)
    if params.half_rule:
        far = (T - topt > 10) | (topt - T > 13)
        t_eps2 = np.where(far, 0.5 * te2(topt), t_eps2)

    # Thornthwaite, net radiation, actual and potential ET, water stress
    Tpos = np.where(T > 0, T, 0.0)
    I = ((Tpos / 5) ** 1.514).sum(axis=0)
    a = 6.75e-7 * I**3 - 7.71e-5 * I**2 + 1.792e-2 * I + 0.49239
    with np.errstate(divide="ignore", invalid="ignore"):
        ep0 = np.where(T > 0, 16 * (10 * Tpos / I) ** a, 0.0)
        if params.thornthwaite_correction == "daylength":
            ep0 = ep0 * daylength / 12 * np.asarray(days).reshape((12,) + (1,) * (T.ndim - 1)) / 30
        rn = 0.369 * np.sqrt(ep0 * P) + 0.598 * ep0
        E = P * rn * (P**2 + rn**2 + P * rn) / ((P + rn) * (P**2 + rn**2))
        E = np.where((P > 0) & (rn > 0), E, 0.0)
        ep = (E + ep0) / 2
        w = 0.5 + 0.5 * E / ep
    if params.clamp_w_eps:
        w = np.clip(w, 0.5, 1.0)
    w = np.where(ep == 0, 1.0, w)

    eps = t_eps1 * t_eps2 * w * params.eps_max_array()[k]
    apar = S * fpar * params.par_share
    npp = apar * eps
    rh = 0.22 * (np.exp(0.0913 * T) + np.log(0.3145 * P + 1)) * 30 * 0.465
    nep = npp - rh
    out = {
        "fpar": fpar,
        "t_eps1": t_eps1,
        "t_eps2": t_eps2,
        "w_eps": w,
        "ep0": ep0,
        "rn": rn,
        "e": E,
        "ep": ep,
        "eps": eps,
        "apar": apar,
        "npp": npp,
        "rh": rh,
        "nep": nep,
    }
    out = {n: np.where(valid, v, np.nan) for n, v in out.items()}
    out["topt"] = np.where(valid, topt, np.nan)
    for n in ("npp", "rh", "nep"):
        out[f"annual_{n}"] = out[n].sum(axis=0)
    return out
