"""Carbon budget and balance indices per unit and year (SPEC §6).

Within a reference region R (all units of the level in that year, or the units
sharing a parent), with CE emissions and CS sequestration in the reporting mass unit
(t CO2 by default, t C for the Jiangxi2024 variant; the column suffix says which) and
G the GDP:

- ``cb = CE − CS`` (> 0 deficit/source, < 0 surplus/sink);
- ``cbi = Q = CE / CS``, missing with a note where CS ≤ 0 (never ±inf);
- ``cii = |CS − CE|``;
- ``ecc = (G_i / G_R) / (CE_i / CE_R)``;
- ``esc = (CS_i / CS_R) / (CE_i / CE_R)``, missing with a note where CS_R ≤ 0.

One unit never stops the stage: a unit-year with CE ≤ 0 or missing keeps its row with
CBI, ECC and ESC missing and the reason in ``note`` (as for CS ≤ 0), a missing GDP
leaves ECC missing likewise.  The region totals CE_R, CS_R and G_R are sums over the
units of the region whose CE is known (so that the shares compare the same units),
each over the units where that quantity is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.errors import InputError


def _add_note(notes: pd.Series, mask, text: str) -> pd.Series:
    """Append ``text`` to the notes of the rows in ``mask`` ("; "-separated)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return notes
    notes = notes.copy()
    cur = notes[mask]
    notes[mask] = np.where(cur == "", text, cur + "; " + text)
    return notes


def balance_indices(
    df: pd.DataFrame,
    ce: str = "ce_tco2",
    cs: str = "cs_tco2",
    gdp: str = "gdp_1e4yuan",
    reference: str | None = None,
    source: str = "budget",
) -> pd.DataFrame:
    """Add ``cb_<unit>``, ``cbi``, ``cii_<unit>``, ``ecc``, ``esc``, ``ce_mean_region_<unit>``
    and ``note`` to a table of units (``<unit>`` the suffix of ``ce``, e.g. ``tco2``).

    df : one row per unit and year with ``unit_id``, ``year``, ``ce``, ``cs`` and ``gdp``
    reference : column grouping the units into reference regions (e.g. the parent id);
                None = all units of the table in that year
    ``attrs["excluded"]`` counts the unit-years without indices, by reason.
    """
    out = df.copy()
    for col in (ce, cs, gdp):
        if col not in out.columns:
            raise InputError(f"{source}: no column {col!r} (have {list(out.columns)})")
    suffix = ce.rsplit("_", 1)[1] if "_" in ce else ""
    tail = f"_{suffix}" if suffix else ""
    if reference and out[reference].isna().any():
        units = list(out.loc[out[reference].isna(), "unit_id"][:10])
        raise InputError(f"{source}: unit(s) {units} have no {reference!r} (the reference region)")
    notes = out["note"].astype(str) if "note" in out.columns else pd.Series("", index=out.index)
    e, s, g = (pd.to_numeric(out[c], errors="coerce").astype("float64") for c in (ce, cs, gdp))
    e_missing = ~np.isfinite(e)
    e_bad = e_missing | (e <= 0)
    g_bad = ~np.isfinite(g) | (g < 0)
    notes = _add_note(notes, e_missing, "CE missing: CBI, ECC and ESC undefined")
    notes = _add_note(notes, ~e_missing & (e <= 0), "CE <= 0: CBI, ECC and ESC undefined")
    notes = _add_note(notes, g_bad, "GDP missing or negative: ECC undefined")
    out[f"cb{tail}"] = e - s
    out[f"cii{tail}"] = (s - e).abs()
    out["cbi"] = np.where((s > 0) & ~e_bad, e / s.where(s > 0), np.nan)
    notes = _add_note(notes, s <= 0, "CBI undefined: CS <= 0")
    keys = ["year"] + ([reference] if reference else [])
    member = ~e_missing  # the units of the region whose CE is known
    grp = (
        pd.DataFrame({k: out[k] for k in keys})
        .assign(e=e.where(member), s=s.where(member), g=g.where(member & ~g_bad))
        .groupby(keys, sort=False)
    )
    e_r, s_r, g_r = (grp[c].transform("sum").astype("float64") for c in ("e", "s", "g"))
    share_e = (e / e_r).where(~e_bad & (e_r > 0))
    out["ecc"] = np.where((g_r > 0) & ~g_bad, (g / g_r.where(g_r > 0)) / share_e, np.nan)
    notes = _add_note(notes, (g_r <= 0) & ~e_bad, "ECC undefined: regional GDP <= 0")
    out["esc"] = np.where(s_r > 0, (s / s_r.where(s_r > 0)) / share_e, np.nan)
    notes = _add_note(notes, (s_r <= 0) & ~e_bad, "ESC undefined: regional CS <= 0")
    out[f"ce_mean_region{tail}"] = grp["e"].transform("mean").astype("float64")
    out["note"] = notes
    out.attrs["excluded"] = {
        "ce_missing": int(e_missing.sum()),
        "ce_not_positive": int((~e_missing & (e <= 0)).sum()),
        "gdp_missing_or_negative": int(g_bad.sum()),
    }
    return out
