"""The ``zonal`` config section: how cells are assigned to units, for every stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from carbonbalance.core.assignment import MODES
from carbonbalance.core.params import Section
from carbonbalance.errors import ConfigError


@dataclass
class ZonalParams(Section):
    """``zonal.mode``: ``exact`` coverage fractions or ``centre`` labels (SPEC §4, §5)."""

    section: ClassVar[str] = "zonal"
    mode: str = "exact"

    def check(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"zonal.mode: {self.mode!r} is not one of {list(MODES)}")
