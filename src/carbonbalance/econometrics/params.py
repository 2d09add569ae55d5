"""The ``econometrics`` config section (SPEC §8): the panel's variables, models, fixed
effects and estimator, weights, effect simulation, robustness runs and MGWR."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from carbonbalance.core.params import Section
from carbonbalance.spatial.params import WeightsParams


def default_lee_yu(effects: str) -> bool:
    """Lee–Yu is the default estimator whenever unit effects are present (SPEC §8)."""
    return effects in ("unit", "twoways")


@dataclass
class WinsorizeParams(Section):
    section: ClassVar[str] = "econometrics.robustness.winsorize"
    lower: float = 0.01
    upper: float = 0.99


@dataclass
class RobustnessParams(Section):
    """``econometrics.robustness``: extra SDM runs (winsorised; alternative weights)."""

    section: ClassVar[str] = "econometrics.robustness"
    winsorize: WinsorizeParams | None = field(default_factory=WinsorizeParams)
    weights: list = field(default_factory=lambda: [WeightsParams(kind="inverse_distance", power=2)])

    def check(self) -> None:
        self.weights = [w if isinstance(w, WeightsParams) else WeightsParams.from_config(w) for w in self.weights]


@dataclass
class MgwrParams(Section):
    """``econometrics.mgwr``: MGWR per level and year."""

    section: ClassVar[str] = "econometrics.mgwr"
    enabled: bool = True
    y: str | None = None
    x: list | None = None
    standardize: bool = True
    kernel: str = "bisquare"
    fixed: bool = False
    criterion: str = "AICc"
    bw_min: float | None = None


@dataclass
class EconometricsParams(Section):
    """The ``econometrics`` config section."""

    section: ClassVar[str] = "econometrics"
    levels: list = field(default_factory=lambda: ["county"])
    y: str = "log(ce_tco2)"
    x: list = field(
        default_factory=lambda: [
            "log(gdp_1e4yuan/population_persons)",
            "urbanisation_rate",
            "secondary_share",
            "log(energy_efficiency_1e4yuan_per_tce)",
        ]
    )
    models: list = field(default_factory=lambda: ["ols", "slm", "sem", "sdm"])
    effects: str = "twoways"
    lee_yu: bool | str = "auto"
    weights: WeightsParams = field(default_factory=WeightsParams)
    draws: int = 1000
    seed: int = 1
    robustness: RobustnessParams = field(default_factory=RobustnessParams)
    mgwr: MgwrParams = field(default_factory=MgwrParams)

    @property
    def use_lee_yu(self) -> bool:
        """The estimator that runs: Lee–Yu whenever unit effects are present, unless set."""
        return default_lee_yu(self.effects) if self.lee_yu in (None, "auto") else bool(self.lee_yu)
