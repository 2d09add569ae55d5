"""The ``inputs`` config section: how to read each raster input (``RasterInput``), which
resamplings each kind of variable allows, and the plausibility checks of SPEC §2."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

from carbonbalance.core.constants import ANNUAL, MONTHLY
from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError

#: cell texts of the statistics read as missing (each is logged, never silently)
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "-", "--", "..", "…")

CLASS_VARIABLES = ("landcover", "landuse")
CONTINUOUS_RESAMPLING = ("bilinear", "average", "nearest", "cubic")
CLASS_RESAMPLING = ("mode", "nearest")
COUNT_RESAMPLING = ("sum",)

#: Physically plausible range after decoding and unit conversion.  A value outside it
#: almost always means a wrong scale factor or unit in the config.
PLAUSIBLE = {
    "ndvi": (-1.5, 1.5),
    "temperature": (-80.0, 60.0),
    "precipitation": (0.0, 3000.0),
    "radiation": (0.0, 1500.0),
    "nightlight": (0.0, math.inf),
    "population": (0.0, math.inf),
}

HINTS = {
    "ndvi": "NDVI looks scaled: set inputs.ndvi.scale (0.0001 for MOD13A3 int16 NDVI)",
    "temperature": "temperature looks scaled or in Kelvin: check inputs.temperature.scale "
    "(0.1 for products in 0.1 °C) and inputs.temperature.units",
    "precipitation": "precipitation out of range: check inputs.precipitation.scale and units",
    "radiation": "radiation out of range: check inputs.radiation.units ('W m-2' mean, "
    "'J m-2' or 'MJ m-2' monthly total) and scale",
    "nightlight": "negative night light: check inputs.nightlight.fill and valid_range",
    "population": "negative population counts: check inputs.population.fill and valid_range",
}


@dataclass(frozen=True)
class Distribution:
    """A check of one variable-year's distribution over the region's cells, after decoding
    and unit conversion (a wrong unit or scale shifts the whole distribution, not only
    its extremes).  ``per_cell``: the statistic of every cell-month (``values``) or of
    each cell's 12 months (``mean``, ``sum``); ``q``: the percentile checked; ``bins``:
    the histogram (lo, hi, n) that gives it (error below one bin)."""

    statistic: str
    per_cell: str
    q: float
    plausible: tuple
    bins: tuple
    hint: str


DISTRIBUTIONS = {
    "ndvi": Distribution(
        "the 95th percentile of NDVI over the region's cell-months",
        "values",
        95,
        (0.2, 1.0),
        (-1.0, 1.0, 4000),
        "NDVI already in 0-1 declared with a scale factor (inputs.ndvi.scale), or a wrong fill value",
    ),
    "temperature": Distribution(
        "the median annual mean temperature of the region's cells (degC)",
        "mean",
        50,
        (-25.0, 35.0),
        (-100.0, 100.0, 4000),
        "check inputs.temperature.units (degC or K) and scale (0.1 for 0.1 degC)",
    ),
    "precipitation": Distribution(
        "the median annual precipitation of the region's cells (mm yr-1)",
        "sum",
        50,
        (10.0, 6000.0),
        (0.0, 30000.0, 6000),
        "check inputs.precipitation.units (mm month-1, mm day-1, m, m day-1) and scale",
    ),
    "radiation": Distribution(
        "the median annual solar radiation of the region's cells (MJ m-2 yr-1; China roughly 3,000-7,000)",
        "sum",
        50,
        (2500.0, 9000.0),
        (0.0, 40000.0, 8000),
        "check inputs.radiation.units ('W m-2' monthly mean, 'MJ m-2' or 'J m-2' monthly "
        "total, 'J m-2 day-1') and scale",
    ),
}


@dataclass(frozen=True)
class RasterInput:
    """How to read one input variable (one ``inputs.<variable>`` config entry).

    ``path`` is a pattern formatted with ``year`` and, for monthly variables,
    ``month`` (an int, so ``{month:02d}`` works).  ``fill`` and ``valid_range``
    refer to the raw stored values, before ``scale`` and ``offset``.
    """

    variable: str
    path: str
    units: str
    resampling: str
    scale: float = 1.0
    offset: float = 0.0
    fill: tuple = ()
    valid_range: tuple | None = None
    crs: str | None = None
    max_invalid_share: float = 0.01
    max_nodata_share: float = 0.1
    plausible_range: tuple | None = None

    @classmethod
    def from_config(cls, variable: str, cfg: dict) -> RasterInput:
        if variable not in MONTHLY + ANNUAL:
            raise ConfigError(f"inputs.{variable}: unknown input variable")
        allowed = (
            CLASS_RESAMPLING
            if variable in CLASS_VARIABLES
            else COUNT_RESAMPLING
            if variable == "population"
            else CONTINUOUS_RESAMPLING
        )
        resampling = cfg.get("resampling", allowed[0])
        if resampling not in allowed:
            raise ConfigError(
                f"inputs.{variable}.resampling: {resampling!r} is not allowed for "
                f"{variable}; use one of {list(allowed)}"
            )
        vr = cfg.get("valid_range")
        d = {f.name: f.default for f in dataclasses.fields(cls)}  # the defaults live in the fields
        return cls(
            variable=variable,
            path=str(cfg["path"]),
            units=str(cfg.get("units", "")),
            resampling=resampling,
            scale=float(cfg.get("scale", d["scale"])),
            offset=float(cfg.get("offset", d["offset"])),
            fill=tuple(float(f) for f in (cfg.get("fill") or ())),
            valid_range=tuple(float(v) for v in vr) if vr else None,
            crs=cfg.get("crs"),
            max_invalid_share=float(cfg.get("max_invalid_share", d["max_invalid_share"])),
            max_nodata_share=float(cfg.get("max_nodata_share", d["max_nodata_share"])),
            plausible_range=tuple(float(v) for v in cfg["plausible_range"]) if cfg.get("plausible_range") else None,
        )

    @property
    def distribution(self) -> Distribution | None:
        """The distribution check of this variable, with the config's plausible range."""
        d = DISTRIBUTIONS.get(self.variable)
        if d is None or self.plausible_range is None:
            return d
        return dataclasses.replace(d, plausible=self.plausible_range)

    @property
    def monthly(self) -> bool:
        return self.variable in MONTHLY

    def paths(self, year: int) -> list[tuple[int | None, str]]:
        """(month, path) pairs for ``year``: 12 for monthly variables, one otherwise."""
        try:
            if self.monthly:
                return [(m, self.path.format(year=int(year), month=m)) for m in range(1, 13)]
            return [(None, self.path.format(year=int(year)))]
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"inputs.{self.variable}.path: cannot format {self.path!r} with year (and month): {exc}"
            ) from exc


def input_paths(cfg_inputs: dict, variable: str, year: int) -> list[str]:
    """The files a rule needs for ``variable`` and ``year`` (used by the Snakefile)."""
    return [p for _, p in RasterInput.from_config(variable, cfg_inputs[variable]).paths(year)]


def where(spec: RasterInput, path: str, month: int | None, year: int | None = None) -> str:
    when = f" (year {year}, month {month:02d})" if month is not None and year is not None else ""
    return f"{spec.variable}: {path}{when}"


@dataclass
class StatisticsPlausibility(Section):
    """Plausible ratios of every unit-year (a unit declared wrongly, t as Mt, falls far outside)."""

    section: ClassVar[str] = "statistics.plausibility"
    co2_t_per_person: list = dataclasses.field(default_factory=lambda: [0.05, 500])
    co2_t_per_1e4yuan: list = dataclasses.field(default_factory=lambda: [0.005, 50])


@dataclass
class StatisticsParams(Section):
    """The ``statistics`` config section: the yearbook CSV and how to read it."""

    section: ClassVar[str] = "statistics"
    path: str
    columns: dict
    format: str = "wide"
    unit_column: str = "unit_id"
    year_column: str = "year"
    variable_column: str = "variable"
    value_column: str = "value"
    level_column: str | None = None
    missing_values: list = dataclasses.field(default_factory=lambda: list(MISSING_TOKENS))
    plausibility: StatisticsPlausibility = dataclasses.field(default_factory=StatisticsPlausibility)


@dataclass
class BoundariesParams(Section):
    """The ``boundaries`` config section: the finest units and their levels, finest first."""

    section: ClassVar[str] = "boundaries"
    path: str
    levels: list
    layer: str | None = None
    groups: list = dataclasses.field(default_factory=list)
    max_overlap_share: float = 0.001
