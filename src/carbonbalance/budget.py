"""Carbon budget and balance indices per unit and year (SPEC §6).

Within a reference region R (all units of the level in that year, or the units
sharing a parent), with CE emissions and CS sequestration in t CO2 and G the GDP:

- ``cb = CE − CS`` (> 0 deficit/source, < 0 surplus/sink);
- ``cbi = Q = CE / CS``, missing with a note where CS ≤ 0 (never ±inf);
- ``cii = |CS − CE|``;
- ``ecc = (G_i / G_R) / (CE_i / CE_R)``;
- ``esc = (CS_i / CS_R) / (CE_i / CE_R)``, missing with a note where CS_R ≤ 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbonbalance.errors import InputError

INDEX_COLUMNS = ("ce_tco2", "cs_tco2", "cb_tco2", "cbi", "cii", "ecc", "esc")


def _add_note(notes: pd.Series, mask, text: str) -> pd.Series:
    """Append ``text`` to the notes of the rows in ``mask`` ("; "-separated)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return notes
    notes = notes.copy()
    cur = notes[mask]
    notes[mask] = np.where(cur == "", text, cur + "; " + text)
    return notes


def balance_indices(df: pd.DataFrame, ce: str = "ce_tco2", cs: str = "cs_tco2", gdp: str = "gdp_1e4yuan",
                    reference: str | None = None, source: str = "budget") -> pd.DataFrame:
    """Add ``cb_tco2``, ``cbi``, ``cii``, ``ecc``, ``esc`` and ``note`` to a table of units.

    df : one row per unit and year with ``unit_id``, ``year``, ``ce``, ``cs`` and ``gdp``
    reference : column grouping the units into reference regions (e.g. the parent id);
                None = all units of the table in that year
    Raises :class:`InputError` naming the unit and column for a missing GDP or for
    emissions ≤ 0 (ECC and ESC divide by the unit's share of emissions).
    """
    out = df.copy()
    for col in (ce, cs, gdp):
        if col not in out.columns:
            raise InputError(f"{source}: no column {col!r} (have {list(out.columns)})")
    bad_gdp = out[gdp].isna() | ~np.isfinite(out[gdp].astype("float64")) | (out[gdp] < 0)
    if bad_gdp.any():
        rows = out.loc[bad_gdp, ["unit_id", "year"]].head(10).to_dict("records")
        raise InputError(f"{source}: {gdp} missing or negative for unit(s) {rows} (needed by ECC)")
    bad_ce = out[ce].isna() | (out[ce] <= 0)
    if bad_ce.any():
        rows = out.loc[bad_ce, ["unit_id", "year", ce]].head(10).to_dict("records")
        raise InputError(f"{source}: {ce} zero, negative or missing for unit(s) {rows}; ECC and ESC divide by "
                         f"the unit's share of emissions")
    notes = out["note"].astype(str) if "note" in out.columns else pd.Series("", index=out.index)
    e, s, g = (out[c].astype("float64") for c in (ce, cs, gdp))
    out["cb_tco2"] = e - s
    out["cii"] = (s - e).abs()
    out["cbi"] = np.where(s > 0, e / s.where(s > 0), np.nan)
    notes = _add_note(notes, s <= 0, "CBI undefined: CS <= 0")
    keys = ["year"] + ([reference] if reference else [])
    if reference and out[reference].isna().any():
        units = list(out.loc[out[reference].isna(), "unit_id"][:10])
        raise InputError(f"{source}: unit(s) {units} have no {reference!r} (the reference region)")
    grp = out.groupby(keys, sort=False)
    e_r, s_r, g_r = (grp[c].transform("sum").astype("float64") for c in (ce, cs, gdp))
    share_e = e / e_r
    out["ecc"] = np.where(g_r > 0, (g / g_r.where(g_r > 0)) / share_e, np.nan)
    notes = _add_note(notes, g_r <= 0, "ECC undefined: regional GDP <= 0")
    out["esc"] = np.where(s_r > 0, (s / s_r.where(s_r > 0)) / share_e, np.nan)
    notes = _add_note(notes, s_r <= 0, "ESC undefined: regional CS <= 0")
    out["ce_mean_region_tco2"] = grp[ce].transform("mean").astype("float64")
    out["note"] = notes
    return out
