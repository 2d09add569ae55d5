"""Typed parameters of the config sections: one dataclass per section, defaults in one place.

A section's dataclass mirrors the schema (``workflow/schemas/config.schema.yaml``): its
fields are the section's keys, nested sections are nested :class:`Section` dataclasses,
and its defaults are the schema's (a test checks the two never drift apart).
:meth:`Section.from_config` builds it from the config dict (missing keys take the
defaults, an unknown key is an error naming ``section.key``); :meth:`Section.to_config`
gives the dict back.  Stage code reads parameters only through these objects.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import ClassVar

from carbonbalance.errors import ConfigError


def _plain(value):
    """Tuples as lists, nested sections as dicts: the config's own shapes."""
    if isinstance(value, Section):
        return value.to_config()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Section:
    """Mixin of a config section's dataclass (see the module docstring)."""

    section: ClassVar[str] = ""

    @classmethod
    def nested(cls) -> dict:
        """{field name: Section class} of the fields that are sections themselves."""
        hints = typing.get_type_hints(cls)
        out = {}
        for f in dataclasses.fields(cls):
            t = hints.get(f.name)
            for c in (t, *typing.get_args(t)):  # a section, or an optional one
                if isinstance(c, type) and issubclass(c, Section):
                    out[f.name] = c
        return out

    @classmethod
    def from_config(cls, cfg: dict | None):
        cfg = dict(cfg or {})
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(cfg) - names)
        if unknown:
            raise ConfigError(f"{cls.section}: unknown key(s) {unknown}; known: {sorted(names)}")
        nested = cls.nested()
        kw = {k: (nested[k].from_config(v) if k in nested and v is not None else v) for k, v in cfg.items()}
        try:
            p = cls(**kw)
        except TypeError as exc:
            raise ConfigError(f"{cls.section}: {exc}") from exc
        p.check()
        return p

    def to_config(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.init}

    def check(self) -> None:
        """Cross-key checks of the section (the schema checks types and enumerations)."""
