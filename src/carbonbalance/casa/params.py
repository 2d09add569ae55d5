"""The ``casa`` config section and the tables of SPEC §3: vegetation types, εmax, NDVI
limits, the output terms, and the bundle of scalars the kernel takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple

import numpy as np

from carbonbalance.core.classes import class_lookup, classify
from carbonbalance.core.constants import C_TO_CO2
from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError

#: CASA vegetation types, in kernel index order.
TYPES = ("ENF", "EBF", "DNF", "DBF", "MF", "shrub", "grass", "crop", "other")
NTYPES = len(TYPES)

#: Monthly terms in the order of the kernel's stacked output.
MONTHLY_TERMS = ("fpar", "t_eps1", "t_eps2", "w_eps", "ep0", "rn", "e", "ep", "eps", "apar", "npp", "rh", "nep")
#: Per-cell annual outputs and counters following the monthly block.
ANNUAL_TERMS = (
    "npp",
    "rh",
    "nep",
    "topt",
    "status",
    "n_cold_months",
    "n_ep_zero_months",
    "n_p_zero_months",
    "n_ndvi_filled_months",
    "n_npp_month_flagged",
    "n_t_eps1_negative",
)

UNITS = {
    "fpar": "1",
    "t_eps1": "1",
    "t_eps2": "1",
    "w_eps": "1",
    "ep0": "mm month-1",
    "rn": "mm month-1",
    "e": "mm month-1",
    "ep": "mm month-1",
    "eps": "g C MJ-1",
    "apar": "MJ m-2 month-1",
    "npp": "g C m-2 month-1",
    "rh": "g C m-2 month-1",
    "nep": "g C m-2 month-1",
}
LONG_NAMES = {
    "fpar": "fraction of absorbed photosynthetically active radiation",
    "t_eps1": "temperature stress T_eps1",
    "t_eps2": "temperature stress T_eps2",
    "w_eps": "water stress W_eps",
    "ep0": "Thornthwaite potential evapotranspiration Ep0",
    "rn": "net radiation (Zhou & Zhang 1995) in mm water equivalent",
    "e": "actual evapotranspiration E",
    "ep": "potential evapotranspiration Ep",
    "eps": "light use efficiency",
    "apar": "absorbed photosynthetically active radiation",
    "npp": "net primary production",
    "rh": "heterotrophic respiration",
    "nep": "net ecosystem production (NPP - RH, positive = sink)",
}
ANNUAL_UNITS = {"npp": "g C m-2 yr-1", "rh": "g C m-2 yr-1", "nep": "g C m-2 yr-1", "topt": "degC"}

#: Why a cell has no value (annual ``status``).
STATUS = {
    0: "computed",
    1: "non-vegetated class",
    2: "no land-cover data",
    3: "missing climate month",
    4: "no valid NDVI month",
    5: "missing NDVI month (missing_ndvi_month: nodata)",
}

#: Fixed NDVI limits of SPEC §3 (min, max) per type.
NDVI_TABLE = {
    "ENF": (0.023, 0.647),
    "EBF": (0.023, 0.676),
    "DNF": (0.023, 0.738),
    "DBF": (0.023, 0.747),
    "MF": (0.023, 0.702),
    "shrub": (0.023, 0.636),
    "grass": (0.023, 0.634),
    "crop": (0.023, 0.634),
    "other": (0.023, 0.634),
}
EPS_MAX = {
    "ENF": 0.389,
    "EBF": 0.985,
    "DNF": 0.485,
    "DBF": 0.692,
    "MF": 0.475,
    "shrub": 0.429,
    "grass": 0.542,
    "crop": 0.542,
    "other": 0.542,
}
#: C -> CO2 factors of the sequestration variants.
SEQUESTRATION = {"fan2024": ("nep", C_TO_CO2), "peng2023": ("npp", 1.62 / 0.45)}


class KernelScalars(NamedTuple):
    """What :func:`carbonbalance.casa.kernels.casa_block` needs besides the data (numba
    passes a named tuple into nopython code as it is)."""

    ndvi_min: np.ndarray  # (NTYPES,) NDVI limits of the year
    ndvi_max: np.ndarray
    eps_max: np.ndarray  # (NTYPES,) g C MJ-1
    fpar_min: float
    fpar_max: float
    alpha: float  # weight of FPAR_NDVI
    par_share: float
    t2_const: float  # C of T_eps2
    half_rule: bool
    clamp_w: bool  # W_eps into [0.5, 1]
    correction: bool  # Thornthwaite day-length correction
    fill_missing_ndvi: bool  # FPARmin for a month without NDVI
    npp_month_max: float  # plausibility flag, g C m-2 month-1
    floor_te1: bool


@dataclass(frozen=True)
class CasaParams(Section):
    """Every switch and table of SPEC §3 (the ``casa`` section); defaults are the SPEC defaults.

    Flat: ``sequestration`` holds the variant and ``co2_per_c`` its override, and
    ``monthly_npp_max`` / ``annual_npp_max`` the plausibility limits (the config nests them).
    """

    section: ClassVar[str] = "casa"
    ndvi_limits: str = "percentile"
    percentiles: tuple = (5.0, 95.0)
    percentile_bin_width: float = 1e-4
    min_percentile_samples: int = 100
    ndvi_table: dict = field(default_factory=lambda: dict(NDVI_TABLE))
    eps_max: dict = field(default_factory=lambda: dict(EPS_MAX))
    fpar_min: float = 0.001
    fpar_max: float = 0.95
    alpha: float = 0.5
    par_share: float = 0.5
    t_eps2_constant: float = 1.1814
    half_rule: bool = True
    t_eps1_floor: bool = False
    clamp_w_eps: bool = True
    thornthwaite_correction: str = "none"
    missing_ndvi_month: str = "fpar_min"
    max_gap_filled_share: float = 0.1
    sequestration: str = "fan2024"
    co2_per_c: float | None = None
    monthly_npp_max: float = 300.0
    annual_npp_max: float = 2000.0
    monthly_variables: tuple = ("fpar", "t_eps1", "t_eps2", "w_eps", "eps", "npp", "rh", "nep")

    @classmethod
    def from_config(cls, cfg: dict | None) -> CasaParams:
        """Build from the ``casa`` section of the config (schema keys; missing keys = defaults)."""
        cfg = dict(cfg or {})
        kw: dict = {}
        simple = (
            "ndvi_limits",
            "percentile_bin_width",
            "min_percentile_samples",
            "fpar_min",
            "fpar_max",
            "alpha",
            "par_share",
            "t_eps2_constant",
            "half_rule",
            "t_eps1_floor",
            "clamp_w_eps",
            "thornthwaite_correction",
            "missing_ndvi_month",
            "max_gap_filled_share",
        )
        for key in simple:
            if key in cfg:
                kw[key] = cfg.pop(key)
        if "percentiles" in cfg:
            kw["percentiles"] = tuple(float(q) for q in cfg.pop("percentiles"))
        if "ndvi_table" in cfg:
            table = dict(NDVI_TABLE)
            table.update({k: tuple(v) for k, v in cfg.pop("ndvi_table").items()})
            kw["ndvi_table"] = table
        if "eps_max" in cfg:
            kw["eps_max"] = {**EPS_MAX, **cfg.pop("eps_max")}
        if "sequestration" in cfg:
            seq = dict(cfg.pop("sequestration"))
            kw["sequestration"] = seq.pop("variant", "fan2024")
            kw["co2_per_c"] = seq.pop("co2_per_c", None)
            if seq:
                raise ConfigError(f"casa.sequestration: unknown key(s) {sorted(seq)}")
        if "plausibility" in cfg:
            pl = dict(cfg.pop("plausibility"))
            kw["monthly_npp_max"] = pl.pop("monthly_npp_max", 300.0)
            kw["annual_npp_max"] = pl.pop("annual_npp_max", 2000.0)
            if pl:
                raise ConfigError(f"casa.plausibility: unknown key(s) {sorted(pl)}")
        if "monthly_variables" in cfg:
            kw["monthly_variables"] = tuple(cfg.pop("monthly_variables"))
        if cfg:
            raise ConfigError(f"casa: unknown key(s) {sorted(cfg)}")
        p = cls(**kw)
        p.check()
        return p

    def check(self) -> None:
        if self.ndvi_limits not in ("percentile", "table"):
            raise ConfigError(f"casa.ndvi_limits must be 'percentile' or 'table', not {self.ndvi_limits!r}")
        lo, hi = self.percentiles
        if not 0 <= lo < hi <= 100:
            raise ConfigError(f"casa.percentiles must satisfy 0 <= low < high <= 100, got {self.percentiles}")
        for t in TYPES:
            if t not in self.ndvi_table or t not in self.eps_max:
                raise ConfigError(f"casa: vegetation type {t!r} missing from ndvi_table or eps_max")
            mn, mx = self.ndvi_table[t]
            if not -1 < mn < mx < 1:
                raise ConfigError(f"casa.ndvi_table.{t}: need -1 < min < max < 1, got {[mn, mx]}")
            if not self.eps_max[t] > 0:
                raise ConfigError(f"casa.eps_max.{t} must be > 0 g C MJ-1, got {self.eps_max[t]}")
        if not 0 <= self.fpar_min < self.fpar_max <= 1:
            raise ConfigError(f"casa: need 0 <= fpar_min < fpar_max <= 1, got {self.fpar_min}, {self.fpar_max}")
        if self.thornthwaite_correction not in ("none", "daylength"):
            raise ConfigError("casa.thornthwaite_correction must be 'none' or 'daylength'")
        if self.missing_ndvi_month not in ("fpar_min", "nodata"):
            raise ConfigError("casa.missing_ndvi_month must be 'fpar_min' or 'nodata'")
        if self.sequestration not in SEQUESTRATION:
            raise ConfigError(f"casa.sequestration.variant must be one of {sorted(SEQUESTRATION)}")
        unknown = set(self.monthly_variables) - set(MONTHLY_TERMS)
        if unknown:
            raise ConfigError(
                f"casa.monthly_variables: unknown term(s) {sorted(unknown)}; choose from {list(MONTHLY_TERMS)}"
            )

    def table_limits(self) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) NDVI per type from the fixed table, in :data:`TYPES` order."""
        return (
            np.array([self.ndvi_table[t][0] for t in TYPES], dtype="float64"),
            np.array([self.ndvi_table[t][1] for t in TYPES], dtype="float64"),
        )

    def eps_max_array(self) -> np.ndarray:
        return np.array([self.eps_max[t] for t in TYPES], dtype="float64")

    def sequestration_source_factor(self) -> tuple[str, float]:
        """Which annual term is sequestered (``nep`` or ``npp``) and its g C -> g CO2 factor."""
        source, factor = SEQUESTRATION[self.sequestration]
        return source, float(self.co2_per_c) if self.co2_per_c is not None else factor

    def to_config(self) -> dict:
        """The ``casa`` section these parameters come from (nested as the config is)."""
        flat = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("sequestration", "co2_per_c", "monthly_npp_max", "annual_npp_max")
        }
        out = dict(flat)
        out["percentiles"] = list(self.percentiles)
        out["ndvi_table"] = {t: list(v) for t, v in self.ndvi_table.items()}
        out["monthly_variables"] = list(self.monthly_variables)
        out["sequestration"] = {"variant": self.sequestration, "co2_per_c": self.co2_per_c}
        out["plausibility"] = {"monthly_npp_max": self.monthly_npp_max, "annual_npp_max": self.annual_npp_max}
        return out

    def kernel_scalars(self, ndvi_min, ndvi_max) -> KernelScalars:
        """The kernel's scalars and per-type tables for this year's NDVI limits (one bundle)."""
        return KernelScalars(
            ndvi_min=np.asarray(ndvi_min, dtype="float64"),
            ndvi_max=np.asarray(ndvi_max, dtype="float64"),
            eps_max=self.eps_max_array(),
            fpar_min=float(self.fpar_min),
            fpar_max=float(self.fpar_max),
            alpha=float(self.alpha),
            par_share=float(self.par_share),
            t2_const=float(self.t_eps2_constant),
            half_rule=bool(self.half_rule),
            clamp_w=bool(self.clamp_w_eps),
            correction=self.thornthwaite_correction == "daylength",
            fill_missing_ndvi=self.missing_ndvi_month == "fpar_min",
            npp_month_max=float(self.monthly_npp_max),
            floor_te1=bool(self.t_eps1_floor),
        )

    def record(self) -> dict:
        """The choices, for the run metadata."""
        source, factor = self.sequestration_source_factor()
        out = {k: v for k, v in self.__dict__.items()}
        out["sequestration_source"] = source
        out["sequestration_co2_per_c"] = factor
        return out


# --------------------------------------------------------------------------- lookups


def type_lookup(classes: dict) -> tuple[np.ndarray, np.ndarray]:
    """Sorted land-cover codes and their type indices (-1 = masked) from the config mapping."""
    return class_lookup(classes, TYPES, "landcover_classes")


def vegetation_type(landcover: np.ndarray, codes: np.ndarray, types: np.ndarray) -> np.ndarray:
    """CASA type index per cell from land-cover codes (NaN or negative = no data -> -2).

    Raises :class:`InputError` for a code missing from the mapping.
    """
    return classify(landcover, codes, types, "landcover", "landcover_classes")


def month_days(year: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Days in each month and the day of year of each month's middle."""
    import calendar

    y = 2001 if year is None else int(year)
    days = np.array([calendar.monthrange(y, m)[1] for m in range(1, 13)], dtype="float64")
    doy = np.cumsum(days) - days + (days + 1) / 2.0
    return days, doy


def term_slots(terms=MONTHLY_TERMS) -> np.ndarray:
    """Output position of each monthly term (-1 = not kept), kept terms in :data:`MONTHLY_TERMS` order.

    Keeping only the needed terms matters: the stacked output of a 512 x 512 chunk with
    all 13 terms is 174 MB, and fresh pages cost more than the arithmetic.
    """
    unknown = set(terms) - set(MONTHLY_TERMS)
    if unknown:
        raise ValueError(f"unknown monthly term(s) {sorted(unknown)}; choose from {list(MONTHLY_TERMS)}")
    slots = np.full(len(MONTHLY_TERMS), -1, dtype="int64")
    kept = [t for t in MONTHLY_TERMS if t in set(terms)]
    for pos, t in enumerate(kept):
        slots[MONTHLY_TERMS.index(t)] = pos
    return slots


def n_out(terms=MONTHLY_TERMS) -> int:
    return len(set(terms)) * 12 + len(ANNUAL_TERMS)
