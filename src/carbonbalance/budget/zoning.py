"""Zoning schemes as data (SPEC §6): ordered zones, each a list of conditions.

A scheme is a list of ``{"zone": name, "when": [[left, op, right], ...]}`` evaluated top
down; the first zone whose conditions all hold wins, an empty ``when`` always holds, and a
unit that matches no zone is ``unclassified`` (logged).  ``left`` and ``right`` are
quantities of the budget table or numbers; ``op`` is one of ``>``, ``>=``, ``<``, ``<=``.
Ties go to the "≥" side: the presets write the greater side with ``>=``.

Quantities: ``ce`` and ``cs``, ``cb``, ``cii`` (in the table's reporting mass unit, t CO2
or t C), ``cbi`` (Q), ``ecc``, ``esc`` and ``ce_mean`` (the mean CE of the units of the
reference region).
"""

from __future__ import annotations

import logging
import operator

import numpy as np
import pandas as pd

from carbonbalance.errors import ConfigError

log = logging.getLogger(__name__)

UNCLASSIFIED = "unclassified"
#: quantity -> budget column; masses carry the reporting unit's suffix (``_tco2`` or ``_tc``)
QUANTITIES = {
    "ce": "ce_",
    "cs": "cs_",
    "cb": "cb_",
    "cii": "cii_",
    "cbi": "cbi",
    "q": "cbi",
    "ecc": "ecc",
    "esc": "esc",
    "ce_mean": "ce_mean_region_",
}
MASS_SUFFIXES = ("tco2", "tc")
OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

PRESETS = {
    # Fan2024: five zones by CS vs CE, ESC and ECC
    "fan2024": [
        {"zone": "carbon sink functional", "when": [["cs", ">=", "ce"], ["esc", ">=", 1]]},
        {"zone": "low-carbon economic", "when": [["cs", "<", "ce"], ["esc", ">=", 1], ["ecc", ">=", 1]]},
        {"zone": "low-carbon optimisation", "when": [["cs", "<", "ce"], ["esc", ">=", 1], ["ecc", "<", 1]]},
        {"zone": "carbon intensity control", "when": [["cs", "<", "ce"], ["esc", "<", 1], ["ecc", ">=", 1]]},
        {"zone": "high-carbon optimisation", "when": [["cs", "<", "ce"], ["esc", "<", 1], ["ecc", "<", 1]]},
    ],
    # Peng2023: carbon sink zone for Q <= 1, four zones for Q > 1 by ECC and ESC
    "peng2023": [
        {"zone": "carbon sink", "when": [["ce", "<=", "cs"]]},
        {"zone": "high-carbon control", "when": [["ecc", ">=", 1], ["esc", "<", 1]]},
        {"zone": "high-carbon optimisation", "when": [["ecc", "<", 1], ["esc", "<", 1]]},
        {"zone": "low-carbon development", "when": [["ecc", "<", 1], ["esc", ">=", 1]]},
        {"zone": "low-carbon economic", "when": [["ecc", ">=", 1], ["esc", ">=", 1]]},
    ],
    # Jiangxi2024 (reconstructed): four zones
    "jiangxi2024": [
        {"zone": "carbon sink functional", "when": [["esc", ">=", 1.8]]},
        {"zone": "total carbon control", "when": [["esc", "<", 1], ["ecc", ">=", 1], ["ce", ">=", "ce_mean"]]},
        {"zone": "carbon intensity control", "when": [["ecc", "<", 1]]},
        {"zone": "low-carbon optimisation", "when": []},
    ],
}


def check_scheme(name: str, scheme) -> None:
    """Raise :class:`ConfigError` naming the scheme, zone and term for a malformed scheme."""
    if not isinstance(scheme, list) or not scheme:
        raise ConfigError(f"zoning scheme {name!r}: a non-empty list of zones is required")
    for k, z in enumerate(scheme):
        if not isinstance(z, dict) or "zone" not in z:
            raise ConfigError(f"zoning scheme {name!r}, zone #{k + 1}: needs a 'zone' name and 'when' conditions")
        for cond in z.get("when") or []:
            if not (isinstance(cond, (list, tuple)) and len(cond) == 3):
                raise ConfigError(
                    f"zoning scheme {name!r}, zone {z['zone']!r}: condition {cond!r} is not [left, op, right]"
                )
            left, op, right = cond
            if op not in OPS:
                raise ConfigError(
                    f"zoning scheme {name!r}, zone {z['zone']!r}: unknown operator {op!r} (use one of {list(OPS)})"
                )
            for term in (left, right):
                if isinstance(term, str) and term.lower() not in QUANTITIES:
                    raise ConfigError(
                        f"zoning scheme {name!r}, zone {z['zone']!r}: unknown quantity {term!r} "
                        f"(known: {sorted(QUANTITIES)})"
                    )
                if not isinstance(term, (str, int, float)):
                    raise ConfigError(
                        f"zoning scheme {name!r}, zone {z['zone']!r}: {term!r} is neither a quantity nor a number"
                    )


def schemes_from_config(names: list[str], custom: dict | None = None) -> dict:
    """The schemes to apply: presets by name, plus custom ones (which may shadow a preset)."""
    custom = dict(custom or {})
    out = {}
    for name in names:
        if name in custom:
            out[name] = custom[name]
        elif name in PRESETS:
            out[name] = PRESETS[name]
        else:
            raise ConfigError(
                f"zoning scheme {name!r} is neither a preset ({sorted(PRESETS)}) nor defined in tables.zoning.custom"
            )
    for name, scheme in out.items():
        check_scheme(name, scheme)
    return out


def column(table: pd.DataFrame, quantity: str) -> str:
    """The budget column of a zoning quantity (a mass in whichever reporting unit the table has)."""
    col = QUANTITIES[quantity.lower()]
    if not col.endswith("_"):
        return col
    for suffix in MASS_SUFFIXES:
        if col + suffix in table.columns:
            return col + suffix
    raise KeyError(f"zoning: the table has no {col}<unit> column for {quantity!r}")


def _term(table: pd.DataFrame, term) -> np.ndarray:
    if isinstance(term, str):
        return table[column(table, term)].to_numpy(dtype="float64")
    return np.full(len(table), float(term))


def classify(table: pd.DataFrame, name: str, scheme: list) -> pd.Series:
    """Zone of every row of a budget table (missing quantities never satisfy a condition)."""
    check_scheme(name, scheme)
    zone = np.full(len(table), UNCLASSIFIED, dtype=object)
    free = np.ones(len(table), dtype=bool)
    for z in scheme:
        hold = free.copy()
        for left, op, right in z.get("when") or []:
            a, b = _term(table, left), _term(table, right)
            with np.errstate(invalid="ignore"):
                hold &= np.isfinite(a) & np.isfinite(b) & OPS[op](a, b)
        zone[hold] = z["zone"]
        free &= ~hold
    if free.any():
        rows = table.loc[free, ["unit_id", "year"]].head(10).to_dict("records")
        log.warning("zoning %s: %d unit-year(s) match no zone (unclassified): %s", name, int(free.sum()), rows)
    return pd.Series(zone, index=table.index, name=f"zone_{name}")
