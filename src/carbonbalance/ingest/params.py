"""The ``inputs`` config section: how to read each raster input (``RasterInput``), which
resamplings each kind of variable allows, and the plausibility checks of SPEC §2."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

from carbonbalance.core.constants import ANNUAL, MONTHLY, OPTIONAL_RASTERS
from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError
from carbonbalance.ingest import presets

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
    "npp": (-3500.0, 5000.0),
}

HINTS = {
    "ndvi": "NDVI looks scaled: set inputs.ndvi.scale (0.0001 for MOD13A3 int16 NDVI; MODIS HDF files say "
    "scale_factor 10000, a divisor: use product: MOD13A3)",
    "temperature": "temperature looks scaled or in Kelvin: check inputs.temperature.scale "
    "(0.1 for products in 0.1 °C) and inputs.temperature.units",
    "precipitation": "precipitation out of range: check inputs.precipitation.scale and units",
    "radiation": "radiation out of range: check inputs.radiation.units ('W m-2' mean, "
    "'J m-2' or 'MJ m-2' monthly total) and scale",
    "nightlight": "negative night light: check inputs.nightlight.fill and valid_range",
    "population": "negative population counts: check inputs.population.fill and valid_range",
    "npp": "NPP out of range: check inputs.npp.units (kg C m-2 yr-1 for MOD17A3HGF), scale and fill "
    "(32761-32766 mark land without NPP: product: MOD17A3HGF)",
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
    "npp": Distribution(
        "the median annual NPP of the region's cells (g C m-2 yr-1; China roughly 200-800)",
        "values",
        50,
        (20.0, 2500.0),
        (-1000.0, 5000.0, 6000),
        "check inputs.npp.units (kg C m-2 yr-1 or g C m-2 yr-1) and scale (0.0001 for MOD17A3HGF)",
    ),
}


#: keys of an inputs.<variable> entry that decode the stored values or place the file
DECODING_KEYS = ("units", "resampling", "scale", "offset", "fill", "valid_range", "crs", "variable", "band_origin")


@dataclass(frozen=True)
class RasterInput:
    """How to read one input variable (one ``inputs.<variable>`` config entry).

    ``path`` is a pattern (:mod:`carbonbalance.ingest.layout`: ``{year}``, ``{month}``,
    ``{doy}``, ``{tile}``, glob wildcards).  ``fill`` and ``valid_range`` refer to the raw
    stored values, before ``scale`` and ``offset``.  Every decoding key left as None is
    taken from the product preset (``product``), else from the file's own attributes (CF
    ``scale_factor``, ``add_offset``, ``_FillValue``, ``valid_range``, ``units``), else its
    default (scale 1, offset 0): :func:`carbonbalance.ingest.sources.decoding`.
    ``origin`` says where each set key came from (``config`` or ``preset <name>``), and
    ``expected_attributes`` what the preset says the file's attributes are.
    """

    variable: str
    path: str
    units: str | None = None
    resampling: str | None = None
    scale: float | None = None
    offset: float | None = None
    fill: tuple | None = None
    valid_range: tuple | None = None
    crs: str | None = None
    max_invalid_share: float = 0.01
    max_nodata_share: float = 0.1
    plausible_range: tuple | None = None
    product: str | None = None
    file_variable: str | None = None
    band: int | None = None
    band_origin: int | None = None
    tiles: tuple = ()
    expected_attributes: dict = dataclasses.field(default_factory=dict)
    origin: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_config(cls, variable: str, cfg: dict) -> RasterInput:
        if variable not in MONTHLY + ANNUAL + OPTIONAL_RASTERS + ("inventory",):
            raise ConfigError(f"inputs.{variable}: unknown input variable")
        cfg = {k: v for k, v in cfg.items() if v is not None}
        merged, origin, expected = {}, {}, {}
        if cfg.get("product"):
            entry = presets.for_input(str(cfg["product"]), variable)
            name = presets.load(str(cfg["product"]))["name"]
            for key in DECODING_KEYS:
                if entry.get(key) is not None:
                    merged[key], origin[key] = entry[key], f"preset {name}"
            expected = dict(entry.get("attributes") or {})
        for key in DECODING_KEYS:
            if key in cfg:
                merged[key], origin[key] = cfg[key], "config"
        allowed = (
            CLASS_RESAMPLING
            if variable in CLASS_VARIABLES
            else COUNT_RESAMPLING
            if variable in ("population", "inventory")
            else CONTINUOUS_RESAMPLING
        )
        resampling = merged.get("resampling", allowed[0])
        if resampling not in allowed:
            raise ConfigError(
                f"inputs.{variable}.resampling: {resampling!r} is not allowed for "
                f"{variable}; use one of {list(allowed)}" + _from(origin, "resampling")
            )
        d = {f.name: f.default for f in dataclasses.fields(cls)}  # the defaults live in the fields
        vr, fill = merged.get("valid_range"), merged.get("fill")
        return cls(
            variable=variable,
            path=str(cfg["path"]),
            units=str(merged["units"]) if "units" in merged else None,
            resampling=resampling,
            scale=float(merged["scale"]) if "scale" in merged else None,
            offset=float(merged["offset"]) if "offset" in merged else None,
            fill=tuple(float(f) for f in fill) if fill is not None else None,
            valid_range=tuple(float(v) for v in vr) if vr else None,
            crs=merged.get("crs"),
            max_invalid_share=float(cfg.get("max_invalid_share", d["max_invalid_share"])),
            max_nodata_share=float(cfg.get("max_nodata_share", d["max_nodata_share"])),
            plausible_range=tuple(float(v) for v in cfg["plausible_range"]) if cfg.get("plausible_range") else None,
            product=cfg.get("product"),
            file_variable=str(merged["variable"]) if "variable" in merged else None,
            band=int(cfg["band"]) if "band" in cfg else None,
            band_origin=int(merged["band_origin"]) if "band_origin" in merged else None,
            tiles=tuple(str(t) for t in cfg.get("tiles") or ()),
            expected_attributes=expected,
            origin=origin,
        )

    def layout(self) -> dict:
        """The keys :mod:`carbonbalance.ingest.layout` reads."""
        return {"path": self.path, "tiles": list(self.tiles)}

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


def _from(origin: dict, key: str) -> str:
    """' (from preset X)' when a key's value came from a product preset."""
    o = origin.get(key, "")
    return f" (from {o})" if o.startswith("preset") else ""


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
