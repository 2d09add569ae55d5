"""What an ensemble says about each result (SPEC §9).

:func:`intervals`: per unit and year the baseline, median and lower/upper percentiles of CE,
CS, CB, CBI, ECC and ESC over all members (members without a value, e.g. CBI where CS ≤ 0,
are left out and counted); :func:`zone_stability`: per zoning scheme the baseline zone, the
most frequent zone and the share of members that agree with the baseline;
:func:`sensitivity`: one row per switch (a variant, or a coefficient at the ends of its
distribution) with the zones it changes; :func:`global_statistics`: global Moran's I and the
Dagum Gini with its contributions per member, and :func:`spread` their intervals.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carbonbalance.ensemble.members import BASELINE
from carbonbalance.errors import InputError
from carbonbalance.spatial.autocorrelation import global_moran
from carbonbalance.spatial.inequality import dagum_gini

log = logging.getLogger(__name__)

KEYS = ["unit_id", "year"]
#: no zone (indices undefined): counted as its own outcome in the stability
NO_ZONE = "none"


def value_columns(table: pd.DataFrame) -> list[str]:
    """CE, CS, CB in the table's reporting mass unit, then CBI, ECC and ESC."""
    for suffix in ("tco2", "tc"):
        if f"ce_{suffix}" in table.columns:
            return [f"{q}_{suffix}" for q in ("ce", "cs", "cb")] + ["cbi", "ecc", "esc"]
    raise InputError(f"ensemble: the budget tables have no ce_tco2 or ce_tc column ({list(table.columns)[:12]})")


def _baseline(long: pd.DataFrame) -> pd.DataFrame:
    base = long[long["member"] == BASELINE]
    if base.empty:
        raise InputError("ensemble: the members' table has no baseline rows")
    return base.set_index(KEYS)


def intervals(long: pd.DataFrame, percentiles=(5, 95)) -> pd.DataFrame:
    """One row per unit and year: ``<q>_baseline``, ``<q>_median``, ``<q>_p<lo>``, ``<q>_p<hi>``
    and ``<q>_members`` (members with a value) of every quantity of :func:`value_columns`."""
    lo, hi = (float(p) for p in percentiles)
    base = _baseline(long)
    g = long.groupby(KEYS)
    out = base[[c for c in ("name",) if c in base.columns]].copy()
    for c in value_columns(long):
        out[f"{c}_baseline"] = base[c]
        out[f"{c}_median"] = g[c].median()
        out[f"{c}_p{lo:g}"] = g[c].quantile(lo / 100)
        out[f"{c}_p{hi:g}"] = g[c].quantile(hi / 100)
        out[f"{c}_members"] = g[c].count()
    return out.reset_index()


def _zones(long: pd.DataFrame, scheme: str) -> pd.Series:
    col = f"zone_{scheme}"
    if col not in long.columns:
        raise InputError(f"ensemble: zoning scheme {scheme!r} has no column {col} in the budget tables")
    return long[col].astype("object").where(long[col].notna(), NO_ZONE).astype(str)


def zone_stability(long: pd.DataFrame, schemes: list[str]) -> pd.DataFrame:
    """Per unit, year and scheme: ``zone_baseline``, ``zone_modal`` (the most frequent zone; on
    a tie the baseline's if it is among them), ``modal_share``, ``agreement`` (share of the
    members whose zone is the baseline's) and ``members``."""
    rows = []
    for scheme in schemes:
        z = long[KEYS + ["member"]].assign(zone=_zones(long, scheme))
        base = z[z["member"] == BASELINE].set_index(KEYS)["zone"]
        counts = z.groupby(KEYS + ["zone"]).size().rename("n").reset_index()
        total = z.groupby(KEYS).size()
        counts = counts.join(base.rename("zone_baseline"), on=KEYS)
        # order: most members first, the baseline's zone first among equals, then by name
        counts["is_base"] = counts["zone"] == counts["zone_baseline"]
        counts = counts.sort_values(KEYS + ["n", "is_base", "zone"], ascending=[True, True, False, False, True])
        modal = counts.groupby(KEYS).first()
        agree = counts[counts["is_base"]].set_index(KEYS)["n"].reindex(total.index).fillna(0)
        part = pd.DataFrame(
            {
                "scheme": scheme,
                "zone_baseline": base.reindex(total.index),
                "zone_modal": modal["zone"].reindex(total.index),
                "modal_share": modal["n"].reindex(total.index) / total,
                "agreement": agree / total,
                "members": total,
            }
        )
        rows.append(part.reset_index())
    out = pd.concat(rows, ignore_index=True)
    if "name" in long.columns:
        names = long[long["member"] == BASELINE].drop_duplicates("unit_id").set_index("unit_id")["name"]
        out.insert(1, "name", out["unit_id"].map(names))
    return out


def sensitivity(long: pd.DataFrame, members: dict, schemes: list[str]) -> pd.DataFrame:
    """One row per switch and scheme, the switch that changes most zones first.

    Switches: each variant (its changed keys), each coefficient of the one-at-a-time members
    (the larger change of its low and high ends), and the Monte Carlo draws together (mean
    over the draws). Columns: ``zones_changed`` and ``share_changed`` of the unit-years, the
    median absolute relative change of CE and CS in percent."""
    value = value_columns(long)
    base = _baseline(long)
    rows = []
    for scheme in schemes:
        z = long[KEYS + ["member"]].assign(zone=_zones(long, scheme)).set_index(KEYS)
        bz = z[z["member"] == BASELINE]["zone"]

        switches = {}
        for name, m in members.items():
            if m["kind"] == "variant":
                switches[name] = ("variant", ", ".join(m["changed"]) or "(nothing)", [name])
            elif m["kind"] == "oat":
                key = m["switch"]
                entry = switches.setdefault(key, ("coefficient", f"{key} at the 5th and 95th percentiles", []))
                entry[2].append(name)
        draws = [n for n, m in members.items() if m["kind"] == "draw"]
        if draws:
            switches["all draws"] = ("draws", f"{len(draws)} Monte Carlo draws, mean per draw", draws)
        for switch, (kind, what, names) in switches.items():
            effects = [_effect(long, base, z, bz, n, value[:2]) for n in names]
            if kind == "draws":
                e = {k: float(np.mean([x[k] for x in effects])) for k in effects[0]}
            else:
                e = max(effects, key=lambda x: x["zones_changed"])
            rows.append({"scheme": scheme, "switch": switch, "kind": kind, "changes": what, **e})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["share_changed"] = out["zones_changed"] / out["unit_years"]
    out = out.sort_values(["scheme", "share_changed", "switch"], ascending=[True, False, True], ignore_index=True)
    out["rank"] = out.groupby("scheme").cumcount() + 1
    return out


def _effect(long, base, z, bz, member: str, columns) -> dict:
    """Zones a member changes against the baseline ``bz`` and the median relative change of ``columns``."""
    mz = z[z["member"] == member]["zone"].reindex(bz.index)
    m = long[long["member"] == member].set_index(KEYS).reindex(bz.index)
    out = {"zones_changed": int((mz != bz).sum()), "unit_years": int(len(bz))}
    for c in columns:
        b = base[c].reindex(bz.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (m[c] - b).abs() / b.abs()
        out[f"{c}_change_pct"] = float(100 * rel[np.isfinite(rel)].median()) if np.isfinite(rel).any() else 0.0
    return out


def global_statistics(long: pd.DataFrame, ids: list[str], weights, groups, variables: list[str]) -> pd.DataFrame:
    """Per member, variable and year: global Moran's I (no permutations) and the Dagum Gini's
    total, within, between and transvariation terms and contributions (percent).

    weights : {member: row-standardised libpysal W of the units ``ids``} (members may change
    them); groups : the Dagum group of each unit of ``ids``, or None."""
    rows = []
    for (member, year), part in long.groupby(["member", "year"]):
        table = part.set_index("unit_id").reindex(ids)
        for var in variables:
            if var not in table.columns:
                raise InputError(f"analysis.variables: {var!r} is not a column of the budget tables")
            y = table[var].to_numpy(dtype="float64")
            if not np.isfinite(y).all():
                log.warning("ensemble: %s %s of member %s has missing values: skipped", var, year, member)
                continue
            row = {"member": member, "variable": var, "year": int(year)}
            row["moran_i"] = global_moran(y, weights[member], permutations=0).I
            if groups is not None and (y > 0).all():
                d = dagum_gini(y, groups)
                row |= {"gini": d.total, "gini_within": d.within, "gini_between": d.between,
                        "gini_transvariation": d.transvariation}  # fmt: skip
                row |= {f"{k}_pct": v for k, v in d.contributions.items()}
            rows.append(row)
    return pd.DataFrame(rows)


def spread(stats: pd.DataFrame, percentiles=(5, 95)) -> pd.DataFrame:
    """Per variable, year and statistic: the baseline's value, median, percentiles, min and max."""
    lo, hi = (float(p) for p in percentiles)
    value_cols = [c for c in stats.columns if c not in ("member", "variable", "year")]
    long = stats.melt(id_vars=["member", "variable", "year"], value_vars=value_cols, var_name="statistic")
    g = long.groupby(["variable", "year", "statistic"])["value"]
    base = long[long["member"] == BASELINE].set_index(["variable", "year", "statistic"])["value"]
    out = pd.DataFrame(
        {
            "baseline": base,
            "median": g.median(),
            f"p{lo:g}": g.quantile(lo / 100),
            f"p{hi:g}": g.quantile(hi / 100),
            "min": g.min(),
            "max": g.max(),
            "members": g.count(),
        }
    )
    order = {s: k for k, s in enumerate(value_cols)}
    out = out.reset_index()

    def key(s):
        return s.map(order) if s.name == "statistic" else s

    return out.sort_values(["variable", "year", "statistic"], key=key, ignore_index=True)
