"""The ``ensemble`` config section (SPEC §9). Only the standard library: the workflow reads
it while it loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError


@dataclass
class EnsembleParams(Section):
    """Named variants (config overrides), Monte Carlo draws of coefficients from their
    distributions, the one-at-a-time members, the reported levels and percentiles."""

    section: ClassVar[str] = "ensemble"
    variants: dict = field(default_factory=dict)
    coefficients: dict = field(default_factory=dict)
    draws: int = 0
    seed: int = 1
    one_at_a_time: bool = True
    levels: list | None = None  # None = every boundaries level
    percentiles: list = field(default_factory=lambda: [5, 95])

    def check(self) -> None:
        lo, hi = self.percentiles
        if not 0 <= lo < hi <= 100:
            raise ConfigError(
                f"ensemble.percentiles: {self.percentiles} must be [lower, upper] with 0 <= lower < upper <= 100"
            )
        if self.draws < 0:
            raise ConfigError(f"ensemble.draws: {self.draws} is negative")

    @property
    def enabled(self) -> bool:
        return bool(self.variants) or self.draws > 0
