"""Additive LMDI-I decomposition of the carbon balance coefficient (Peng2023, SPEC §6).

``Q = C/N = (C/G)·(G/P)·(P/S)·(S/N)``: technology (carbon intensity), economic level
(GDP per capita), urbanisation (population density) and carbon-fixation pressure (area
per unit sequestration).  Between years 0 and T each effect is
``ΔX_k = L(Q_T, Q_0) · ln(X_k,T / X_k,0)`` with the logarithmic mean
``L(a, b) = (a − b)/(ln a − ln b)``, ``L(a, a) = a``; the effects sum to ``Q_T − Q_0``.

Zero values follow the analytical limits of Ang & Liu (2007): Q is zero only when C is
zero (the technology factor); from Q_0 = 0 to Q_T > 0 the whole change Q_T is the
technology effect, from Q_0 > 0 to Q_T = 0 it is −Q_0, and both zero give zero effects.
N ≤ 0 (no sequestration), or G, P or S ≤ 0, leaves the unit not decomposable, with the
reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EFFECTS = ("technology", "economic_level", "urbanisation", "fixation_pressure")


def log_mean(a, b):
    """L(a, b) = (a − b)/(ln a − ln b) for a, b > 0, L(a, a) = a."""
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        same = np.isclose(a, b, rtol=1e-12, atol=0.0)
        out = np.where(same, a, (a - b) / (np.log(a) - np.log(b)))
    return out


def factors(C, G, P, S, N) -> np.ndarray:
    """(4, n) factors C/G, G/P, P/S, S/N."""
    C, G, P, S, N = (np.asarray(x, dtype="float64") for x in (C, G, P, S, N))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.stack([C / G, G / P, P / S, S / N])


def _reason(C, G, P, S, N) -> np.ndarray:
    reasons = np.full(np.shape(C), "", dtype=object)
    for name, v in (("sequestration N", N), ("GDP G", G), ("population P", P), ("area S", S), ("emissions C", C)):
        bad = ~np.isfinite(v) | (v <= 0) if name != "emissions C" else ~np.isfinite(v) | (v < 0)
        reasons = np.where(
            bad & (reasons == ""),
            f"{name} <= 0 or missing" if name != "emissions C" else "emissions C < 0 or missing",
            reasons,
        )
    return reasons


def decompose(c0, g0, p0, s0, n0, cT, gT, pT, sT, nT) -> pd.DataFrame:
    """Q_0, Q_T, ΔQ, the four effects and a reason (empty when decomposed), per element."""
    c0, g0, p0, s0, n0, cT, gT, pT, sT, nT = (
        np.atleast_1d(np.asarray(x, dtype="float64")) for x in (c0, g0, p0, s0, n0, cT, gT, pT, sT, nT)
    )
    r0, rT = _reason(c0, g0, p0, s0, n0), _reason(cT, gT, pT, sT, nT)
    reason = np.where(
        r0 != "",
        np.char.add("year 0: ", r0.astype(str)),
        np.where(rT != "", np.char.add("year T: ", rT.astype(str)), ""),
    )
    ok = reason == ""
    with np.errstate(divide="ignore", invalid="ignore"):
        q0, qT = c0 / n0, cT / nT
        x0, xT = factors(c0, g0, p0, s0, n0), factors(cT, gT, pT, sT, nT)
        L = log_mean(qT, q0)
        eff = L[None, :] * np.log(xT / x0)
    zero0, zeroT = ok & (c0 == 0), ok & (cT == 0)
    eff = np.where(ok[None, :], eff, np.nan)
    # Ang & Liu (2007) limits: only the technology factor C/G can be zero
    for mask, tech in ((zero0 & ~zeroT, qT), (~zero0 & zeroT, -q0), (zero0 & zeroT, np.zeros_like(q0))):
        eff[:, mask] = 0.0
        eff[0, mask] = tech[mask]
    out = pd.DataFrame({"q0": np.where(ok, q0, np.nan), "qT": np.where(ok, qT, np.nan)})
    out["dq"] = out["qT"] - out["q0"]
    for k, name in enumerate(EFFECTS):
        out[f"{name}_effect"] = eff[k]
    out["reason"] = reason
    return out


def lmdi_table(panel: pd.DataFrame, periods: list, region_name: str = "region") -> pd.DataFrame:
    """Decompose every unit (and the sum of all units as ``region_name``) over every period.

    panel : rows per unit and year with ``unit_id``, ``year``, ``c`` (t CO2), ``g`` (GDP),
            ``p`` (persons), ``s`` (km²), ``n`` (t CO2 sequestration)
    periods : [(year 0, year T), ...]
    """
    cols = ["c", "g", "p", "s", "n"]
    region = panel.groupby("year")[cols].sum(min_count=1).reset_index().assign(unit_id=region_name)
    data = pd.concat([panel[["unit_id", "year"] + cols], region], ignore_index=True)
    frames = []
    for t0, t1 in periods:
        a = data[data["year"] == int(t0)].set_index("unit_id")[cols]
        b = data[data["year"] == int(t1)].set_index("unit_id")[cols]
        units = a.index.union(b.index)
        a, b = a.reindex(units), b.reindex(units)
        d = decompose(*(a[c].to_numpy() for c in cols), *(b[c].to_numpy() for c in cols))
        d.insert(0, "unit_id", units.to_numpy())
        d.insert(1, "year_0", int(t0))
        d.insert(2, "year_t", int(t1))
        frames.append(d)
    return pd.concat(frames, ignore_index=True)
