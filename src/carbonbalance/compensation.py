"""Carbon compensation (Jiangxi2024 after Zhao et al. 2016; SPEC §6), every step a column.

Reconstructed; each uncertain step has a variant switch (:class:`CompensationParams`):

1. ``L = C − CA`` (emissions minus absorption, t CO2; > 0 pays, < 0 receives);
2. ``P = ECC · D`` (D = mean unit emissions of the region over the configured years),
   variant ``threshold: ecc_minus_one`` → ``(ECC − 1) · D``;
3. ``C' = C · f_t · f_s`` with the temporal factor ``f_t = (g_i,t1/g_i,t0)/(g_R,t1/g_R,t0)``
   and the spatial factor ``f_s = g_i,t1/ḡ_t1`` (g = t CO2 per 10⁴ yuan, ḡ the mean over
   units); variants ``intensity: temporal`` (f_t only) and ``mean`` (C · (f_t + f_s)/2);
4. ``L' = C' − CA − P`` (variant ``revised_base: without_absorption`` → ``C' − P``);
5. ``M = L' · α · γ / 10⁴`` (10⁴ yuan) with
   ``α = ¼ (Pmax + Pmin + 10 r + 15 r) · (gdp_pc_region / gdp_pc_nation)`` (yuan per t)
   and ``γ = K / (1 + e^(−t))``, ``K = GDP_i / GDP_R``, t the Engel coefficient (variant
   ``engel: inverse`` → t = 1/En − 3).  Class: payer (high or low by ``high_payer_break``,
   10⁴ yuan) or receiver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carbonbalance.errors import ConfigError, InputError


@dataclass
class CompensationParams:
    price_min_yuan_per_t: float = 20.0
    price_max_yuan_per_t: float = 80.0
    exchange_rate_yuan_per_usd: float = 7.0
    gdp_pc_ratio: float = 1.0          # per-capita GDP of the region / of the nation
    threshold: str = "ecc"             # or ecc_minus_one
    intensity: str = "both"            # or temporal, mean
    revised_base: str = "with_absorption"  # or without_absorption
    engel: str = "direct"              # or inverse
    high_payer_break: float = 0.0      # 10^4 yuan; 0 = the median of the payers

    _CHOICES = {"threshold": ("ecc", "ecc_minus_one"), "intensity": ("both", "temporal", "mean"),
                "revised_base": ("with_absorption", "without_absorption"), "engel": ("direct", "inverse")}

    @classmethod
    def from_config(cls, cfg: dict | None) -> CompensationParams:
        cfg = dict(cfg or {})
        unknown = sorted(set(cfg) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"tables.compensation: unknown key(s) {unknown}")
        p = cls(**cfg)
        for key, allowed in cls._CHOICES.items():
            if getattr(p, key) not in allowed:
                raise ConfigError(f"tables.compensation.{key}: {getattr(p, key)!r} is not one of {list(allowed)}")
        if p.price_min_yuan_per_t > p.price_max_yuan_per_t:
            raise ConfigError("tables.compensation: price_min_yuan_per_t exceeds price_max_yuan_per_t")
        return p

    @property
    def alpha(self) -> float:
        """Carbon price α, yuan per t CO2."""
        r = self.exchange_rate_yuan_per_usd
        return 0.25 * (self.price_max_yuan_per_t + self.price_min_yuan_per_t + 10 * r + 15 * r) * self.gdp_pc_ratio


def compensation(t0: pd.DataFrame, t1: pd.DataFrame, params: CompensationParams,
                 mean_emissions: pd.Series | float) -> pd.DataFrame:
    """Every step of the compensation per unit, between years t0 and t1 (values of t1).

    t0, t1 : one row per unit (index ``unit_id``) with ``ce_tco2``, ``ca_tco2`` (absorption),
             ``ecc``, ``gdp_1e4yuan`` and (t1) ``engel_coefficient``
    mean_emissions : D, the mean unit emissions over the configured years (t CO2)
    """
    need1 = ["ce_tco2", "ca_tco2", "ecc", "gdp_1e4yuan", "engel_coefficient"]
    for name, frame, need in (("end year", t1, need1), ("start year", t0, ["ce_tco2", "gdp_1e4yuan"])):
        for col in need:
            if col not in frame.columns:
                raise InputError(f"compensation: no column {col!r} for the {name}")
            bad = frame[col].isna()
            if bad.any():
                raise InputError(f"compensation: {col} missing in the {name} for unit(s) {list(frame.index[bad])[:10]}")
    units = t1.index
    if not units.isin(t0.index).all():
        raise InputError(f"compensation: unit(s) {list(units[~units.isin(t0.index)])[:10]} lack the start year")
    a, b = t0.loc[units], t1
    if (a["gdp_1e4yuan"] <= 0).any() or (b["gdp_1e4yuan"] <= 0).any():
        bad = units[(a["gdp_1e4yuan"] <= 0).to_numpy() | (b["gdp_1e4yuan"] <= 0).to_numpy()]
        raise InputError(f"compensation: gdp_1e4yuan <= 0 for unit(s) {list(bad)[:10]}")
    out = pd.DataFrame(index=units)
    C, CA = b["ce_tco2"].astype(float), b["ca_tco2"].astype(float)
    out["c_tco2"], out["ca_tco2"] = C, CA
    out["l_tco2"] = C - CA
    D = mean_emissions.reindex(units) if isinstance(mean_emissions, pd.Series) else float(mean_emissions)
    out["d_tco2"] = D
    ecc = b["ecc"].astype(float)
    out["p_tco2"] = (ecc - 1.0) * D if params.threshold == "ecc_minus_one" else ecc * D
    g0 = a["ce_tco2"] / a["gdp_1e4yuan"]
    g1 = b["ce_tco2"] / b["gdp_1e4yuan"]
    gR0 = a["ce_tco2"].sum() / a["gdp_1e4yuan"].sum()
    gR1 = b["ce_tco2"].sum() / b["gdp_1e4yuan"].sum()
    out["g0_tco2_per_1e4yuan"], out["g1_tco2_per_1e4yuan"] = g0, g1
    out["temporal_factor"] = (g1 / g0) / (gR1 / gR0)
    out["spatial_factor"] = g1 / g1.mean()
    if params.intensity == "temporal":
        factor = out["temporal_factor"]
    elif params.intensity == "mean":
        factor = (out["temporal_factor"] + out["spatial_factor"]) / 2
    else:
        factor = out["temporal_factor"] * out["spatial_factor"]
    out["c_revised_tco2"] = C * factor
    out["l_revised_tco2"] = out["c_revised_tco2"] - out["p_tco2"] - (
        0.0 if params.revised_base == "without_absorption" else CA)
    out["alpha_yuan_per_tco2"] = params.alpha
    out["k"] = b["gdp_1e4yuan"] / b["gdp_1e4yuan"].sum()
    en = b["engel_coefficient"].astype(float)
    t = 1.0 / en - 3.0 if params.engel == "inverse" else en
    out["gamma"] = out["k"] / (1.0 + np.exp(-t))
    out["m_1e4yuan"] = out["l_revised_tco2"] * params.alpha * out["gamma"] / 1e4
    payers = out["m_1e4yuan"] > 0
    brk = params.high_payer_break or (float(out.loc[payers, "m_1e4yuan"].median()) if payers.any() else 0.0)
    out["class"] = np.where(~payers, "receiver", np.where(out["m_1e4yuan"] > brk, "high payer", "low payer"))
    out["high_payer_break_1e4yuan"] = brk
    return out.reset_index()
