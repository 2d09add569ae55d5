"""Carbon compensation (Jiangxi2024 after Zhao et al. 2016; SPEC §6), every step a column.

Reconstructed; each uncertain step has a variant switch (:class:`CompensationParams`).
Masses are in the tables' reporting unit ``<m>`` (t CO2 or t C, the column suffix).

1. ``L = C − CA`` (emissions minus absorption; > 0 pays, < 0 receives);
2. ``P = ECC · D`` (D = mean unit emissions of the reference region over the years
   ``d_years``, all years of the run by default), variant ``threshold: ecc_minus_one`` →
   ``(ECC − 1) · D``;
3. ``C' = C · f_t · f_s`` with the temporal factor ``f_t = (g_i,t1/g_i,t0)/(g_R,t1/g_R,t0)``
   and the spatial factor ``f_s = g_i,t1/ḡ_t1`` (g = emissions per 10⁴ yuan, g_R of the
   reference region, ḡ the mean over its units); variants ``intensity: temporal`` (f_t
   only) and ``mean`` (C · (f_t + f_s)/2);
4. ``L' = C' − CA − P`` (variant ``revised_base: without_absorption`` → ``C' − P``);
5. ``M = L' · α · γ / 10⁴`` (10⁴ yuan) with
   ``α = ¼ (Pmax + Pmin + 10 r + 15 r) · (gdp_pc_region / gdp_pc_nation)`` (yuan per t of
   the reporting unit, as the paper applies it) and ``γ = K / (1 + e^(−t))``,
   ``K = GDP_i / GDP_R``, t the Engel coefficient of the unit or of its reference region
   (``engel_source``; the paper uses one provincial value) and variant ``engel: inverse``
   → t = 1/En − 3.  Class: payer (high or low by ``high_payer_break``: the median or mean
   M of the year's payers, or a number in 10⁴ yuan) or receiver.

The reference region R is the whole level or each unit's parent (``tables.reference``):
g_R, K, ḡ and D are computed per region.  A unit without the values a step needs gets
missing values from that step on, the class ``not computed`` and the reason; the region
aggregates use the units that have values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.budget.params import CompensationParams
from carbonbalance.errors import InputError

NOT_COMPUTED = "not computed"


def compensation(
    t0: pd.DataFrame,
    t1: pd.DataFrame,
    params: CompensationParams,
    mean_emissions: pd.Series | float,
    region: pd.Series | None = None,
    suffix: str = "tco2",
    engel: pd.Series | None = None,
) -> pd.DataFrame:
    """Every step of the compensation per unit, between years t0 and t1 (values of t1).

    t0, t1 : one row per unit (index ``unit_id``) with ``ce_<m>``, ``ca_<m>`` (absorption),
             ``ecc``, ``gdp_1e4yuan`` and (t1) ``engel_coefficient``
    mean_emissions : D per unit (its region's value) or one number, in the reporting unit
    region : reference region per unit (None = all units form one region)
    suffix : the reporting mass unit's column suffix (``tco2`` or ``tc``)
    engel : the Engel coefficient to use per unit (None = the units' own)
    """
    m = suffix
    ce, ca = f"ce_{m}", f"ca_{m}"
    for name, frame, need in (
        ("end year", t1, [ce, ca, "ecc", "gdp_1e4yuan", "engel_coefficient"]),
        ("start year", t0, [ce, "gdp_1e4yuan"]),
    ):
        for col in need:
            if col not in frame.columns:
                raise InputError(f"compensation: no column {col!r} for the {name}")
    units = t1.index
    a = t0.reindex(units)
    b = t1
    en = (engel.reindex(units) if engel is not None else b["engel_coefficient"]).astype(float)
    reason = pd.Series("", index=units, dtype=object)
    for text, bad in (
        ("no start year", ~units.isin(t0.index)),
        (f"{ce} missing", b[ce].isna() | a[ce].isna()),
        (f"{ca} missing", b[ca].isna()),
        ("ECC missing", b["ecc"].isna()),
        ("GDP missing or <= 0", ~(b["gdp_1e4yuan"] > 0) | ~(a["gdp_1e4yuan"] > 0)),
        ("start-year emissions <= 0", ~(a[ce] > 0)),
        ("Engel coefficient missing", en.isna()),
    ):
        bad = np.asarray(bad, dtype=bool) & (reason == "").to_numpy()
        reason[bad] = text
    ok = reason == ""
    region = pd.Series("all", index=units) if region is None else region.reindex(units).astype(str)
    out = pd.DataFrame(index=units)
    C, CA = b[ce].astype(float), b[ca].astype(float)
    out[f"c_{m}"], out[f"ca_{m}"] = C, CA
    out[f"l_{m}"] = C - CA
    D = mean_emissions.reindex(units) if isinstance(mean_emissions, pd.Series) else float(mean_emissions)
    out[f"d_{m}"] = D
    ecc = b["ecc"].astype(float)
    out[f"p_{m}"] = (ecc - 1.0) * D if params.threshold == "ecc_minus_one" else ecc * D
    g0 = (a[ce] / a["gdp_1e4yuan"]).where(ok)
    g1 = (b[ce] / b["gdp_1e4yuan"]).where(ok)

    def regional(values: pd.Series, how: str) -> pd.Series:
        return values.where(ok).groupby(region).transform(how)

    gR0 = regional(a[ce], "sum") / regional(a["gdp_1e4yuan"], "sum")
    gR1 = regional(b[ce], "sum") / regional(b["gdp_1e4yuan"], "sum")
    out[f"g0_{m}_per_1e4yuan"], out[f"g1_{m}_per_1e4yuan"] = g0, g1
    out["temporal_factor"] = (g1 / g0) / (gR1 / gR0)
    out["spatial_factor"] = g1 / regional(g1, "mean")
    if params.intensity == "temporal":
        factor = out["temporal_factor"]
    elif params.intensity == "mean":
        factor = (out["temporal_factor"] + out["spatial_factor"]) / 2
    else:
        factor = out["temporal_factor"] * out["spatial_factor"]
    out[f"c_revised_{m}"] = C * factor
    out[f"l_revised_{m}"] = (
        out[f"c_revised_{m}"] - out[f"p_{m}"] - (0.0 if params.revised_base == "without_absorption" else CA)
    )
    out[f"alpha_yuan_per_{m}"] = params.alpha
    out["k"] = (b["gdp_1e4yuan"] / regional(b["gdp_1e4yuan"], "sum")).where(ok)
    out["engel_coefficient_used"] = en
    t = 1.0 / en - 3.0 if params.engel == "inverse" else en
    out["gamma"] = out["k"] / (1.0 + np.exp(-t))
    out["m_1e4yuan"] = out[f"l_revised_{m}"] * params.alpha * out["gamma"] / 1e4
    brk = params.payer_break(out.loc[ok, "m_1e4yuan"])
    out["class"] = np.where(
        ~ok,
        NOT_COMPUTED,
        np.where(out["m_1e4yuan"] > 0, np.where(out["m_1e4yuan"] > brk, "high payer", "low payer"), "receiver"),
    )
    out["high_payer_break_1e4yuan"] = brk
    out["region"] = region
    out["reason"] = reason
    return out.reset_index()
