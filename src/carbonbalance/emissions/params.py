"""The ``emissions`` config section: methods, fallback chains, category shares, and the
energy and land-use accounting coefficients (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError, InputError

METHODS = ("nightlight", "multisource")
CATEGORIES = ("urban", "industrial", "rural")
#: weight layer -> (aligned store variable, accepted units); "area" is the cell area
LAYERS = {"light": "nightlight", "population": "population", "area": "cell_area_m2"}
UNITS = "t CO2 per cell"


#: Jiangxi2024 absorption classes and coefficients, t C per hm² per year (negative = absorption)
ABSORPTION_CLASSES = ("cultivated", "forest", "grassland", "water", "unused")
LAMBDA_TC_PER_HM2 = {"cultivated": -0.13, "forest": -5.77, "grassland": -0.022, "water": -0.253, "unused": -0.005}
#: CNLUCC land-use code -> absorption class (null = built-up land, no absorption)
CNLUCC_ABSORPTION = {
    "11": "cultivated",
    "12": "cultivated",
    "21": "forest",
    "22": "forest",
    "23": "forest",
    "24": "forest",
    "31": "grassland",
    "32": "grassland",
    "33": "grassland",
    "41": "water",
    "42": "water",
    "43": "water",
    "44": "water",
    "45": "water",
    "46": "water",
    "51": None,
    "52": None,
    "53": None,
    "61": "unused",
    "62": "unused",
    "63": "unused",
    "64": "unused",
    "65": "unused",
    "66": "unused",
    "67": "unused",
}


@dataclass
class SharesParams(Section):
    """``emissions.shares``: urban / industrial / rural shares of the multisource method."""

    section: ClassVar[str] = "emissions.shares"
    source: str = "config"
    values: dict = field(default_factory=dict)
    columns: dict = field(default_factory=lambda: {k: f"share_{k}" for k in CATEGORIES})
    tolerance: float = 1e-6

    def to_config(self) -> dict:
        out = super().to_config()
        if not out["values"]:
            del out["values"]  # the schema has no default values
        return out


@dataclass
class EnergyParams(Section):
    """``emissions.energy``: Jiangxi2024's Cz = E σ + P θ."""

    section: ClassVar[str] = "emissions.energy"
    sigma: float = 1.87
    sigma_unit: str = "t C per t standard coal"
    theta_tc_per_person: float = 0.079


@dataclass
class AbsorptionParams(Section):
    """``emissions.absorption``: land-use coefficient absorption CA = Σ area_k |λ_k|."""

    section: ClassVar[str] = "emissions.absorption"
    coefficients_tc_per_hm2: dict = field(default_factory=lambda: dict(LAMBDA_TC_PER_HM2))
    classes: dict = field(default_factory=lambda: dict(CNLUCC_ABSORPTION))

    def check(self) -> None:
        unknown = sorted(set(self.coefficients_tc_per_hm2) - set(ABSORPTION_CLASSES))
        if unknown:
            raise ConfigError(
                f"emissions.absorption.coefficients_tc_per_hm2: unknown class(es) {unknown} "
                f"(classes: {list(ABSORPTION_CLASSES)})"
            )
        self.coefficients_tc_per_hm2 = {
            **LAMBDA_TC_PER_HM2,
            **{k: float(v) for k, v in self.coefficients_tc_per_hm2.items()},
        }
        self.classes = {str(k): v for k, v in self.classes.items()}


@dataclass
class EmissionParams(Section):
    """The ``emissions`` config section."""

    section: ClassVar[str] = "emissions"
    method: str = "nightlight"
    total_variable: str = "co2_tco2"
    totals_level: str = "province"
    totals_complete: bool = True
    fallback: list = field(default_factory=lambda: ["light", "population", "area"])
    rural_fallback: list = field(default_factory=lambda: ["population", "area"])
    shares: SharesParams = field(default_factory=SharesParams)
    empty_category: str = "unit"
    negative_weights: str = "error"
    chunk: int = 1024
    energy: EnergyParams = field(default_factory=EnergyParams)
    absorption: AbsorptionParams = field(default_factory=AbsorptionParams)

    def check(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"emissions.method: {self.method!r} is not one of {list(METHODS)}")
        for key in ("fallback", "rural_fallback"):
            chain = getattr(self, key)
            bad = [x for x in chain if x not in LAYERS]
            if not chain or bad or len(set(chain)) != len(chain):
                raise ConfigError(f"emissions.{key}: {chain} must be distinct layers out of {list(LAYERS)}")
        if self.method == "multisource":
            if self.shares.source not in ("config", "statistics"):
                raise ConfigError(f"emissions.shares.source: {self.shares.source!r} is not config or statistics")
            if self.shares.source == "config":
                check_shares(
                    np.array([[self.shares.values.get(k, np.nan) for k in CATEGORIES]]),
                    ["emissions.shares.values"],
                    self.shares.tolerance,
                )

    @property
    def chains(self) -> list[list[str]]:
        if self.method == "nightlight":
            return [list(self.fallback)]
        return [list(self.fallback), list(self.fallback), list(self.rural_fallback)]

    @property
    def category_names(self) -> list[str]:
        return ["total"] if self.method == "nightlight" else list(CATEGORIES)


def check_shares(shares: np.ndarray, row_names: list[str], tolerance: float) -> None:
    """Every row of (n, 3) urban/industrial/rural shares is in [0, 1] and sums to 1."""
    shares = np.asarray(shares, dtype="float64")
    missing = ~np.isfinite(shares).all(axis=1)
    if missing.any():
        rows = [row_names[i] for i in np.flatnonzero(missing)[:10]]
        raise InputError(f"category shares missing for {rows} (need {list(CATEGORIES)})")
    out = ((shares < 0) | (shares > 1)).any(axis=1)
    if out.any():
        i = np.flatnonzero(out)[:10]
        raise InputError(f"category shares outside [0, 1] for {[row_names[k] for k in i]}: {shares[i].tolist()}")
    s = shares.sum(axis=1)
    bad = np.abs(s - 1.0) > tolerance
    if bad.any():
        i = np.flatnonzero(bad)[:10]
        raise InputError(
            "category shares (urban + industrial + rural) do not sum to 1 for "
            + ", ".join(f"{row_names[k]} (sum {s[k]:.6g})" for k in i)
            + f" (tolerance {tolerance:g})"
        )
