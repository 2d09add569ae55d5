"""Unit conversions into the canonical units of SPEC §1.

Each input variable has one canonical unit after ingest.  The config declares the
unit of the file; :func:`to_canonical` converts, or raises :class:`ConfigError`
naming the variable and the unit it does not know.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable

import numpy as np

from carbonbalance.errors import ConfigError

#: seconds per day / 1e6: W m⁻² sustained for one day, in MJ m⁻².
W_M2_DAY_TO_MJ_M2 = 0.0864

CANONICAL_UNITS = {
    "ndvi": "1",
    "temperature": "degC",
    "precipitation": "mm month-1",
    "radiation": "MJ m-2 month-1",
    "landcover": "class",
    "landuse": "class",
    "nightlight": None,  # DN or radiance: kept as given, recorded
    "population": "persons",
}


def days_in_month(year: int, month: int) -> int:
    """Real number of days of ``month`` in ``year`` (Gregorian, leap years included)."""
    return calendar.monthrange(int(year), int(month))[1]


def _per_month(factor_per_day: float) -> Callable:
    return lambda v, year, month: v * (factor_per_day * days_in_month(year, month))


def _identity(v, year, month):
    return v


# variable -> {declared unit -> converter(values, year, month)}
_CONVERSIONS: dict[str, dict[str, Callable]] = {
    "ndvi": {"1": _identity, "": _identity},
    "temperature": {
        "degC": _identity,
        "C": _identity,
        "°C": _identity,
        "K": lambda v, year, month: v - 273.15,
    },
    "precipitation": {
        "mm month-1": _identity,
        "mm": _identity,
        "kg m-2": _identity,
        "mm day-1": _per_month(1.0),
        "m": lambda v, year, month: v * 1000.0,
        # ERA5(-Land) monthly means of daily accumulations: m per day x the days of the month
        "m day-1": _per_month(1000.0),
    },
    "radiation": {
        "MJ m-2 month-1": _identity,
        "MJ m-2": _identity,
        "W m-2": _per_month(W_M2_DAY_TO_MJ_M2),
        "J m-2": lambda v, year, month: v / 1e6,
        "kJ m-2": lambda v, year, month: v / 1e3,
        "MJ m-2 day-1": _per_month(1.0),
        # ERA5(-Land) monthly means of surface solar radiation downwards: J m-2 per day
        "J m-2 day-1": _per_month(1e-6),
    },
    "population": {"persons": _identity},
    "landcover": {"class": _identity},
    "landuse": {"class": _identity},
}


#: declared units whose conversion depends on the length of the month
_NEEDS_MONTH = ("W m-2", "mm day-1", "m day-1", "MJ m-2 day-1", "J m-2 day-1")


def known_units(variable: str) -> list[str]:
    return sorted(_CONVERSIONS.get(variable, {}))


def canonical_unit(variable: str, declared: str) -> str:
    """Unit of ``variable`` after ingest (night light keeps its declared unit)."""
    unit = CANONICAL_UNITS[variable]
    return declared if unit is None else unit


def to_canonical(
    values: np.ndarray, variable: str, units: str, year: int | None = None, month: int | None = None
) -> np.ndarray:
    """Convert ``values`` of ``variable`` given in ``units`` to the canonical unit.

    Monthly conversions that depend on the month length (W m⁻² → MJ m⁻² month⁻¹,
    mm day⁻¹ or m day⁻¹ → mm month⁻¹, J m⁻² day⁻¹ → MJ m⁻² month⁻¹: × the real number of
    days of the month) need ``year`` and ``month``.
    """
    if variable not in CANONICAL_UNITS:
        raise ConfigError(f"unknown input variable {variable!r}; expected one of {sorted(CANONICAL_UNITS)}")
    if CANONICAL_UNITS[variable] is None:
        return values
    table = _CONVERSIONS[variable]
    if units not in table:
        raise ConfigError(
            f"inputs.{variable}.units: unknown unit {units!r} for {variable}; "
            f"known units: {', '.join(repr(u) for u in known_units(variable))}"
        )
    if units in _NEEDS_MONTH and (year is None or month is None):
        raise ConfigError(f"{variable}: converting from {units!r} needs the year and month")
    return table[units](values, year, month)
