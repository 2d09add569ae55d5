"""What figures call things: one table of readable names and units for the columns and
variables the figures show, and the typography of units (g C m⁻² yr⁻¹, t CO₂).

Figures take their titles, axis and colour-bar labels from here, never from column names;
:func:`label` raises for a column the table does not know, so that a new figure cannot
print ``ce_tco2`` by accident.
"""

from __future__ import annotations

import re

#: column or variable -> (readable name, units as stored; "" for a ratio or a class)
LABELS: dict[str, tuple[str, str]] = {
    # budget tables (SPEC §6)
    "ce_tco2": ("carbon emissions CE", "t CO2"),
    "cs_tco2": ("carbon sequestration CS", "t CO2"),
    "cb_tco2": ("carbon budget CB = CE − CS", "t CO2"),
    "cbi": ("carbon balance index CBI = CE / CS", ""),
    "ecc": ("economic contribution coefficient ECC", ""),
    "esc": ("ecological support coefficient ESC", ""),
    "cii_tco2": ("carbon intensity CII", "t CO2"),
    "zone_fan2024": ("zones of Fan2024", ""),
    "zone_peng2023": ("zones of Peng2023", ""),
    "zone_jiangxi2024": ("zones of Jiangxi2024", ""),
    "gdp_1e4yuan": ("gross domestic product GDP", "10^4 yuan"),
    # zonal tables
    "npp_mean_gc_m2": ("mean net primary production NPP", "g C m-2 yr-1"),
    "rh_mean_gc_m2": ("mean heterotrophic respiration RH", "g C m-2 yr-1"),
    "nep_mean_gc_m2": ("mean net ecosystem production NEP", "g C m-2 yr-1"),
    "emission_density_tco2_km2": ("CO2 emission density", "t CO2 km-2"),
    # compensation and LMDI tables
    "m_1e4yuan": ("carbon compensation amount M (positive = payer)", "10^4 yuan"),
    "q": ("carbon balance ratio Q = CE / CS", ""),
    "dq": ("change of Q = CE / CS", ""),
    "technology_effect": ("technology effect (CE / GDP)", ""),
    "economic_level_effect": ("economic level effect (GDP / population)", ""),
    "urbanisation_effect": ("urbanisation effect (population / area)", ""),
    "fixation_pressure_effect": ("fixation pressure effect (area / CS)", ""),
    # ensembles (SPEC §9)
    "agreement": ("share of the members in the baseline's zone", "%"),
    # raster inputs (ingest)
    "ndvi": ("NDVI", ""),
    "temperature": ("air temperature", "degC"),
    "precipitation": ("precipitation", "mm month-1"),
    "radiation": ("solar radiation", "MJ m-2 month-1"),
    "landcover": ("land cover", ""),
    "landuse": ("land use", ""),
    "nightlight": ("night-time light", "nW cm-2 sr-1"),
    "population": ("population", "persons per cell"),
    # gridded results
    "npp": ("net primary production NPP", "g C m-2 yr-1"),
    "rh": ("heterotrophic respiration RH", "g C m-2 yr-1"),
    "nep": ("net ecosystem production NEP (positive = sink)", "g C m-2 yr-1"),
    "sequestration": ("carbon sequestration", "t CO2 per cell"),
    "emissions": ("CO2 emissions", "t CO2 per cell"),
    "emissions_urban": ("urban CO2 emissions", "t CO2 per cell"),
    "emissions_industrial": ("industrial CO2 emissions", "t CO2 per cell"),
    "emissions_rural": ("rural CO2 emissions", "t CO2 per cell"),
}

# the budget's mass columns reported in t C (tables.mass_unit) read like those in t CO2
LABELS.update(
    {
        k.removesuffix("_tco2") + "_tc": (n, u.replace("CO2", "C"))
        for k, (n, u) in list(LABELS.items())
        if k.endswith("_tco2")
    }
)

#: chemical formulas written with subscripts
_FORMULAS = {"CO2": "CO₂", "CH4": "CH₄", "N2O": "N₂O"}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
#: a unit symbol with an exponent, as stored in attributes and tags (CF-like: m-2, yr-1)
_POWER = re.compile(r"\b(m|km|cm|ha|s|d|yr|month|sr|K|MJ|J|W|g|kg|t)(-?\d+)\b")


def pretty_units(units: str) -> str:
    """``g C m-2 yr-1`` -> ``g C m⁻² yr⁻¹``, ``t CO2`` -> ``t CO₂``, ``10^4 yuan`` -> ``10⁴ yuan``,
    ``degC`` -> ``°C``; units without exponents or formulas come back unchanged."""
    text = str(units)
    for plain, pretty in _FORMULAS.items():
        text = re.sub(rf"\b{plain}\b", pretty, text)
    text = _POWER.sub(lambda m: m.group(1) + m.group(2).translate(_SUPERSCRIPT), text)
    text = re.sub(r"\bdegC\b", "°C", text)
    return re.sub(r"\b10\^(-?\d+)", lambda m: "10" + m.group(1).translate(_SUPERSCRIPT), text)


def label(column: str, with_units: bool = True) -> str:
    """The readable name of ``column`` with its units in parentheses, e.g. ``carbon
    emissions CE (t CO₂)``; a KeyError names a column the table does not have."""
    try:
        name, units = LABELS[column]
    except KeyError:
        raise KeyError(f"{column!r} has no entry in carbonbalance.plots.labels.LABELS") from None
    name = pretty_units(name)
    return f"{name} ({pretty_units(units)})" if with_units and units else name


def title(column: str, year: int | str | None = None) -> str:
    """A panel title: the readable name, capitalised, and the year, e.g. ``Net primary
    production NPP, 2020`` (units go on the colour bar or the legend)."""
    name = label(column, with_units=False)
    name = name[:1].upper() + name[1:]
    return f"{name}, {year}" if year is not None else name


def zone_title(scheme: str) -> str:
    """A zones panel's title: ``Zones of Fan2024`` for the built-in schemes (the label table),
    ``Zones of <scheme>`` for a user's own."""
    return title(f"zone_{scheme}") if f"zone_{scheme}" in LABELS else f"Zones of {scheme}"


#: larger units of a mass, by the power of ten they start at
_PREFIXES = {"t": [(1e9, "Gt"), (1e6, "Mt"), (1e3, "kt")]}


def readable_scale(values, units: str) -> tuple[float, str]:
    """(factor, units) to show ``values`` given in ``units`` without an axis offset: t CO₂ in
    kt, Mt or Gt by the size of the largest value (divide the values by the factor)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    top = float(np.nanmax(np.abs(v))) if v.size and np.isfinite(v).any() else 0.0
    head, _, rest = units.partition(" ")
    for factor, bigger in _PREFIXES.get(head, []):
        if top >= factor:
            return factor, f"{bigger} {rest}".strip()
    return 1.0, units


#: the yearbook's canonical columns (config ``statistics.columns``) as a reader calls them
VARIABLES = {
    "co2_tco2": "CO2",
    "gdp_1e4yuan": "GDP",
    "population_persons": "population",
    "energy_tce": "energy use",
    "engel_coefficient": "Engel coefficient",
    "secondary_share": "secondary-industry share",
    "urbanisation_rate": "urbanisation rate",
    "energy_efficiency_1e4yuan_per_tce": "energy efficiency",
}


def expression_label(expr: str) -> str:
    """A model variable as a reader calls it: ``log(gdp_1e4yuan/population_persons)`` ->
    ``log(GDP per person)``, ``urbanisation_rate`` -> ``urbanisation rate``; column names the
    tables know (:data:`LABELS`) by their short name, other names with spaces for underscores."""
    text = re.sub(r"(\w+)\s*/\s*population_persons", lambda m: f"{m.group(1)} per person", expr)
    text = text.replace("/", " per ")
    text = re.sub(r"^w_(\w+)", r"weights \1", text)  # a robustness run's spatial weights
    text = re.sub(r"\^(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)

    def name(m):
        word = m.group(0)
        if word in VARIABLES:
            return VARIABLES[word]
        if word in LABELS:
            return LABELS[word][0]
        return word.replace("_", " ")

    words = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: m.group(0) if m.group(0) in ("log", "weights") else name(m),
                   text)  # fmt: skip
    return pretty_units(words)
