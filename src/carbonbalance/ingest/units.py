"""Unit conversions into the canonical units of SPEC §1.

Each input variable has one canonical unit after ingest.  The config declares the
unit of the file; :func:`to_canonical` converts, or raises :class:`ConfigError`
naming the variable and the unit it does not know.
"""

from __future__ import annotations

import calendar
import re
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
    "npp": "g C m-2 yr-1",
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
    "npp": {
        "g C m-2 yr-1": _identity,
        "g C m-2": _identity,
        "kg C m-2 yr-1": lambda v, year, month: v * 1000.0,
        "kg C m-2": lambda v, year, month: v * 1000.0,
    },
    "landcover": {"class": _identity},
    "landuse": {"class": _identity},
}


#: declared units whose conversion depends on the length of the month
_NEEDS_MONTH = ("W m-2", "mm day-1", "m day-1", "MJ m-2 day-1", "J m-2 day-1")


def known_units(variable: str) -> list[str]:
    if variable == "inventory":
        return ["t CO2", "kt CO2", "Gg C", "kg CO2 m-2 s-1", "t CO2 km-2 yr-1", "g C m-2 day-1"]
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


#: spellings of units in files' attributes -> the declared unit they mean
_SPELLINGS = {
    "k": "K",
    "kelvin": "K",
    "degc": "degC",
    "c": "degC",
    "°c": "degC",
    "degrees_celsius": "degC",
    "celsius": "degC",
    "degree_celsius": "degC",
    "mm": "mm",
    "mm/month": "mm month-1",
    "mm month-1": "mm month-1",
    "mm/day": "mm day-1",
    "mm day-1": "mm day-1",
    "kg m-2": "kg m-2",
    "kg m**-2": "kg m-2",
    "m": "m",
    "w m-2": "W m-2",
    "w m**-2": "W m-2",
    "w/m2": "W m-2",
    "w/m^2": "W m-2",
    "j m-2": "J m-2",
    "j m**-2": "J m-2",
    "mj m-2": "MJ m-2",
    "mj m**-2": "MJ m-2",
    "kg c m-2": "kg C m-2",
    "kg c/m^2": "kg C m-2",
    "kg_c/m^2": "kg C m-2",
    "1": "1",
    "persons": "persons",
}


def normalise(variable: str, text: str | None) -> str | None:
    """The declared unit a file's ``units`` attribute means for ``variable`` (None when it
    is not one of the known units of the variable, e.g. MODIS's 'NDVI')."""
    if not text:
        return None
    if variable == "inventory":
        try:
            inventory_units(text)
        except ConfigError:
            return None
        return " ".join(str(text).split())
    unit = _SPELLINGS.get(" ".join(str(text).strip().lower().split()))
    return unit if unit in _CONVERSIONS.get(variable, {}) else None


# --------------------------------------------------------------------------- inventories
#: tonnes per unit of mass
_MASS_T = {"g": 1e-6, "kg": 1e-3, "t": 1.0, "Mg": 1.0, "kt": 1e3, "Gg": 1e3, "Mt": 1e6, "Tg": 1e6}
#: square metres per unit of area
_AREA_M2 = {"m-2": 1.0, "km-2": 1e6, "ha-1": 1e4}
_INVENTORY_UNITS = re.compile(
    r"^(?P<mass>g|kg|t|Mg|kt|Gg|Mt|Tg)\s+(?P<species>CO2|C)(?:\s+(?P<area>m-2|km-2|ha-1))?"
    r"(?:\s+(?P<time>s-1|day-1|yr-1|a-1))?(?:\s+per\s+cell)?$"
)


def inventory_units(text: str) -> dict:
    """The parts of an inventory's unit: mass (t per unit), species (CO2 or C), area (m2 per
    unit of a flux, None for mass per cell), time ('s-1', 'day-1' or None = per year).

    'Gg C' is a mass of carbon per cell and year; 'kg CO2 m-2 s-1' a flux (EDGAR's).
    """
    m = _INVENTORY_UNITS.match(" ".join(str(text or "").split()))
    if not m:
        raise ConfigError(
            f"inputs.inventory.units: {text!r} is not '<mass> <CO2|C>' (per cell and year, e.g. 't CO2', 'Gg C') "
            "or '<mass> <CO2|C> <m-2|km-2|ha-1> [s-1|day-1|yr-1]' (a flux, e.g. 'kg CO2 m-2 s-1'); masses: "
            + ", ".join(_MASS_T)
        )
    time = m.group("time")
    return {
        "mass_t": _MASS_T[m.group("mass")],
        "species": m.group("species"),
        "area_m2": _AREA_M2[m.group("area")] if m.group("area") else None,
        "time": None if time in (None, "yr-1", "a-1") else time,
    }


def inventory_to_tco2(values: np.ndarray, units: str, cell_area_m2, year: int) -> np.ndarray:
    """An inventory's values in t CO2 per cell and year (carbon x 44/12, fluxes x cell area
    x the seconds or days of ``year``)."""
    u = inventory_units(units)
    factor = u["mass_t"] * (44.0 / 12.0 if u["species"] == "C" else 1.0)
    if u["time"] is not None:
        days = 366 if calendar.isleap(int(year)) else 365
        factor *= days * (86400.0 if u["time"] == "s-1" else 1.0)
    out = np.asarray(values, dtype="float64") * factor
    if u["area_m2"] is not None:
        out = out * (np.asarray(cell_area_m2, dtype="float64") / u["area_m2"])
    elif u["time"] is not None:
        raise ConfigError(f"inputs.inventory.units: {units!r} has a time but no area: a mass per cell is per year")
    return out
