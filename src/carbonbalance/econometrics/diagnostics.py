"""LM tests on the OLS residuals and Wald tests of the SDM's restrictions (Elhorst 2014, §3.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from carbonbalance.econometrics.panel import Panel, demean
from carbonbalance.econometrics.spectrum import Dims, Spatial


def chi2_row(test, stat, df) -> dict:
    return {"test": test, "statistic": float(stat), "df": int(df), "p_value": float(stats.chi2.sf(stat, df))}


# ----------------------------------------------------------------------------- estimation


def kron_apply(M, v, N, T):
    """(I_T ⊗ M) v for a dense N × N matrix and v of length N T."""
    return (v.reshape(T, N) @ M.T).reshape(-1)


def lm_tests(p: Panel, yd, wyd, Xo, effects, d: Dims, sp: Spatial) -> pd.DataFrame:
    """LM-lag, LM-error and their robust forms on the (within) OLS residuals (Elhorst 2014, §3.5)."""
    N, T = p.N, p.T
    b = np.linalg.lstsq(Xo, yd, rcond=None)[0]
    e = yd - Xo @ b
    s2 = float(e @ e) / (d.N * d.T)
    we = p.lag(e)
    Wd = sp.dense
    if d.drop_unit_root:
        Wd = Wd - Wd.mean(axis=0, keepdims=True)
        Wd = Wd - Wd.mean(axis=1, keepdims=True)
    tw = float(np.sum(Wd * Wd.T) + np.sum(Wd * Wd))
    wxb = demean(p.lag(Xo @ b), N, T, effects)
    mwxb = wxb - Xo @ np.linalg.lstsq(Xo, wxb, rcond=None)[0]
    J = (wxb @ mwxb + d.T * tw * s2) / s2
    lag_score = float(e @ wyd) / s2
    err_score = float(e @ we) / s2
    ttw = d.T * tw
    rows = [
        chi2_row("LM lag", lag_score**2 / J, 1),
        chi2_row("LM error", err_score**2 / ttw, 1),
        chi2_row("robust LM lag", (lag_score - err_score) ** 2 / (J - ttw), 1),
        chi2_row("robust LM error", (err_score - ttw / J * lag_score) ** 2 / (ttw * (1 - ttw / J)), 1),
    ]
    return pd.DataFrame(rows)


def wald_sdm(coef: pd.DataFrame, vcov: np.ndarray, xnames: list[str]) -> pd.DataFrame:
    """Wald tests of the SDM: θ = 0 (→ SLM) and θ + ρβ = 0 (→ SEM, delta method)."""
    est = coef["estimate"].to_numpy()
    k = len(xnames)
    off = 1 if coef["term"].iloc[0] == "const" else 0
    ib, it, ir = slice(off, off + k), slice(off + k, off + 2 * k), off + 2 * k
    beta, theta, rho = est[ib], est[it], est[ir]
    vt = vcov[it, it]
    slm = float(theta @ np.linalg.solve(vt, theta))
    r = theta + rho * beta
    jac = np.zeros((k, vcov.shape[0]))
    jac[:, ib] = rho * np.eye(k)
    jac[:, it] = np.eye(k)
    jac[:, ir] = beta
    sem = float(r @ np.linalg.solve(jac @ vcov @ jac.T, r))
    return pd.DataFrame(
        [chi2_row("Wald SDM -> SLM (theta = 0)", slm, k), chi2_row("Wald SDM -> SEM (theta + rho*beta = 0)", sem, k)]
    )


# ----------------------------------------------------------------------------- effects
