"""The ``tables`` config section (SPEC §6): sources of CE and CS, the reporting mass unit,
the reference region, zoning schemes, the compensation's choices and the LMDI periods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from carbonbalance.core.constants import CO2_TO_C
from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError, InputError

#: reporting mass units of the budget and compensation tables -> column suffix and factor from t CO2
MASS_UNITS = {"t CO2": ("tco2", 1.0), "t C": ("tc", CO2_TO_C)}


def mass_suffix(mass_unit: str) -> str:
    """Column suffix of a reporting mass unit: ``tco2`` or ``tc``."""
    if mass_unit not in MASS_UNITS:
        raise InputError(f"tables.mass_unit: {mass_unit!r} is not one of {list(MASS_UNITS)}")
    return MASS_UNITS[mass_unit][0]


EMISSION_SOURCES = ("grid", "statistics", "energy", "inventory")
SEQUESTRATION_SOURCES = ("casa", "nep", "npp_peng2023", "landuse", "npp_product")
#: CO2 per unit of NPP (carbon) of the npp_product source: 44/12, or Peng2023's 1.62/0.45
NPP_PRODUCT_FACTORS = {"c_to_co2": 44.0 / 12.0, "peng2023": 1.62 / 0.45}


@dataclass
class CompensationParams(Section):
    """``tables.compensation``: every uncertain step of the compensation is a switch."""

    section: ClassVar[str] = "tables.compensation"
    base_year: int | None = None  # None = the first year of the run
    price_min_yuan_per_t: float = 20.0
    price_max_yuan_per_t: float = 80.0
    exchange_rate_yuan_per_usd: float = 7.0
    gdp_pc_ratio: float = 1.0  # per-capita GDP of the region / of the nation
    threshold: str = "ecc"  # or ecc_minus_one
    intensity: str = "both"  # or temporal, mean
    revised_base: str = "with_absorption"  # or without_absorption
    engel: str = "direct"  # or inverse
    engel_source: str = "unit"  # or reference (the reference region's coefficient)
    high_payer_break: str | float = "median"  # or mean, or a number (10^4 yuan)
    d_years: list = field(default_factory=list)  # years over which D is averaged; empty = all

    _CHOICES: ClassVar[dict] = {
        "threshold": ("ecc", "ecc_minus_one"),
        "intensity": ("both", "temporal", "mean"),
        "revised_base": ("with_absorption", "without_absorption"),
        "engel": ("direct", "inverse"),
        "engel_source": ("unit", "reference"),
    }

    def check(self) -> None:
        for key, allowed in self._CHOICES.items():
            if getattr(self, key) not in allowed:
                raise ConfigError(f"tables.compensation.{key}: {getattr(self, key)!r} is not one of {list(allowed)}")
        if self.price_min_yuan_per_t > self.price_max_yuan_per_t:
            raise ConfigError("tables.compensation: price_min_yuan_per_t exceeds price_max_yuan_per_t")
        if isinstance(self.high_payer_break, str) and self.high_payer_break not in ("median", "mean"):
            raise ConfigError(
                f"tables.compensation.high_payer_break: {self.high_payer_break!r} is neither "
                f"'median', 'mean' nor a number (10^4 yuan)"
            )
        self.d_years = [int(y) for y in (self.d_years or [])]

    @property
    def alpha(self) -> float:
        """Carbon price α, yuan per t of the reporting mass unit."""
        r = self.exchange_rate_yuan_per_usd
        return 0.25 * (self.price_max_yuan_per_t + self.price_min_yuan_per_t + 10 * r + 15 * r) * self.gdp_pc_ratio

    def payer_break(self, m: pd.Series) -> float:
        """The M (10⁴ yuan) above which a payer is a high payer."""
        if not isinstance(self.high_payer_break, str):
            return float(self.high_payer_break)
        payers = m[m > 0]
        if payers.empty:
            return 0.0
        return float(payers.median() if self.high_payer_break == "median" else payers.mean())


@dataclass
class ZoningParams(Section):
    """``tables.zoning``: the schemes to apply (presets or custom) and custom schemes as data."""

    section: ClassVar[str] = "tables.zoning"
    schemes: list = field(default_factory=lambda: ["fan2024", "peng2023", "jiangxi2024"])
    custom: dict = field(default_factory=dict)


@dataclass
class LmdiParams(Section):
    """``tables.lmdi``: the periods [year 0, year T]; empty = the whole span of the run."""

    section: ClassVar[str] = "tables.lmdi"
    periods: list = field(default_factory=list)

    def check(self) -> None:
        self.periods = [tuple(int(y) for y in p) for p in self.periods]


@dataclass
class TablesParams(Section):
    """The ``tables`` config section (SPEC §6)."""

    section: ClassVar[str] = "tables"
    emission_source: str = "grid"
    sequestration_source: str = "casa"
    npp_product_factor: str = "c_to_co2"
    mass_unit: str = "t CO2"
    reference: str = "level"
    zoning: ZoningParams = field(default_factory=ZoningParams)
    compensation: CompensationParams = field(default_factory=CompensationParams)
    lmdi: LmdiParams = field(default_factory=LmdiParams)

    def check(self) -> None:
        if self.emission_source not in EMISSION_SOURCES:
            raise ConfigError(
                f"tables.emission_source: {self.emission_source!r} is not one of {list(EMISSION_SOURCES)}"
            )
        if self.sequestration_source not in SEQUESTRATION_SOURCES:
            raise ConfigError(
                f"tables.sequestration_source: {self.sequestration_source!r} is not one of "
                f"{list(SEQUESTRATION_SOURCES)}"
            )
        if self.npp_product_factor not in NPP_PRODUCT_FACTORS:
            raise ConfigError(
                f"tables.npp_product_factor: {self.npp_product_factor!r} is not one of {list(NPP_PRODUCT_FACTORS)}"
            )
        if self.mass_unit not in MASS_UNITS:
            raise ConfigError(f"tables.mass_unit: {self.mass_unit!r} is not one of {list(MASS_UNITS)}")
        if self.reference not in ("level", "parent"):
            raise ConfigError(f"tables.reference: {self.reference!r} is not 'level' or 'parent'")

    @property
    def suffix(self) -> str:
        return mass_suffix(self.mass_unit)
