"""The ``demo`` config section (standard library only, like the manifest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from carbonbalance.core.params import Section


@dataclass
class DemoParams(Section):
    """Generate the demo inputs from ``seed`` below ``root`` (the only folder it writes to)."""

    section: ClassVar[str] = "demo"
    enabled: bool = False
    seed: int = 42
    root: str = "resources/demo"
    layout: str = "geotiff"
