"""The ``analysis`` config section (SPEC §7): levels and variables, spatial weights,
permutations, kernel densities, Dagum groups and the hot-spot distance band."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from carbonbalance.core.params import Section


@dataclass
class WeightsParams(Section):
    """Spatial weights (also ``econometrics.weights``): row-standardised; inverse_distance
    needs ``power`` (2 = inverse squared), knn needs ``k``."""

    section: ClassVar[str] = "weights"
    kind: str = "queen"
    islands: str = "nearest"
    k: int | None = None
    power: float | None = None

    @property
    def label(self) -> str:
        if self.kind == "inverse_distance":
            return f"inverse_distance^{self.power}"
        return f"knn{self.k}" if self.kind == "knn" else self.kind


@dataclass
class KdeParams(Section):
    """``analysis.kde``: kernel density curves per variable and year (Liu2024)."""

    section: ClassVar[str] = "analysis.kde"
    kernel: str = "epanechnikov"
    scale: str = "unit_variance"
    bandwidth: str | float = "silverman"
    lower_bounds: dict = field(
        default_factory=lambda: {"ce_tco2": 0, "ce_tc": 0, "cii_tco2": 0, "cii_tc": 0, "cbi": 0, "ecc": 0}
    )


@dataclass
class SpatialParams(Section):
    """The ``analysis`` config section."""

    section: ClassVar[str] = "analysis"
    levels: list = field(default_factory=lambda: ["county"])
    variables: list = field(default_factory=lambda: ["ce_tco2", "cs_tco2"])
    weights: WeightsParams = field(default_factory=WeightsParams)
    permutations: int = 999
    seed: int = 1
    alpha: float = 0.05
    kde: KdeParams = field(default_factory=KdeParams)
    group_column: str | None = None
    hotspot_distance_m: float = 10000
