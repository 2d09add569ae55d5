"""Where the files of one input variable and year are (SPEC §2 "as delivered"): path
patterns, time stacks and tiles.  Standard library only: the Snakefile uses it to list
a job's input files before any job runs.

A path pattern is formatted with

- ``{year}``; ``{month}`` (1–12, e.g. ``{month:02d}``); ``{doy}``, the day of the year on
  which the month starts (MODIS names a monthly file by it: ``A2019032`` is February,
  ``{doy:03d}``); ``{tile}``, each entry of ``inputs.<var>.tiles`` (e.g. ``h27v05``);
- then glob wildcards (``*``, ``?``, ``[...]``): every match is one tile of the time step,
  e.g. the production time stamp in ``MOD13A3.A2019032.h27v05.061.2019070012345.hdf``.

A monthly input whose pattern has no ``{month}`` or ``{doy}`` is a *stack*: the same
file(s) hold all months (bands, or a NetCDF time axis), and each month is picked inside
them (:mod:`carbonbalance.ingest.sources`).  Likewise an annual input without ``{year}``
is one file for every year: a stack when it has a time axis or ``band_origin`` is set,
otherwise a static map.  A pattern may name a folder (an ESRI GRID).
"""

from __future__ import annotations

import calendar
import datetime
import glob
import os
from dataclasses import dataclass

from carbonbalance.errors import ConfigError

_GLOB = set("*?[")


@dataclass(frozen=True)
class Step:
    """One time step of one variable: the month (None for annual inputs), the formatted
    pattern(s) for messages, the files (tiles) that hold it, and the listed tiles that have
    no file.  ``stacked``: the step is one band or time of files that hold several."""

    month: int | None
    pattern: str
    files: tuple[str, ...]
    missing_tiles: tuple[str, ...]
    stacked: bool
    expected: tuple[str, ...] = ()  # the formatted path of each tile (wildcards left in)

    @property
    def missing(self) -> bool:
        return not self.files or bool(self.missing_tiles)


def first_doy(year: int, month: int) -> int:
    """Day of the year (1-based) on which ``month`` of ``year`` starts."""
    return datetime.date(int(year), int(month), 1).timetuple().tm_yday


def per_step_files(pattern: str, monthly: bool) -> bool:
    """Whether the pattern names one file per time step (rather than a stack)."""
    if monthly:
        return "{month" in pattern or "{doy" in pattern
    return "{year" in pattern


def _format(pattern: str, variable: str, **keys) -> str:
    try:
        return pattern.format(**keys)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"inputs.{variable}.path: cannot format {pattern!r} with {sorted(keys)} ({exc}); "
            "the keys are {year}, {month}, {doy} and {tile}"
        ) from exc


def _matches(path: str) -> list[str]:
    if _GLOB & set(path):
        return sorted(glob.glob(path))
    return [path] if os.path.exists(path) else []


def steps(cfg: dict, variable: str, year: int, monthly: bool) -> list[Step]:
    """The time steps of ``variable`` in ``year`` with their files (12 for monthly inputs)."""
    pattern = str(cfg["path"])
    tiles = list(cfg.get("tiles") or [])
    if "{tile" in pattern and not tiles:
        raise ConfigError(f"inputs.{variable}.path has {{tile}} but inputs.{variable}.tiles lists no tile")
    if tiles and "{tile" not in pattern:
        raise ConfigError(f"inputs.{variable}.tiles is set but inputs.{variable}.path has no {{tile}} key")
    stacked = not per_step_files(pattern, monthly)
    months = list(range(1, 13)) if monthly else [None]
    out = []
    for month in months:
        keys = {"year": int(year)}
        if month is not None:
            keys |= {"month": month, "doy": first_doy(year, month)}
        else:
            keys |= {"doy": 1}
        files, missing, shown = [], [], []
        for tile in tiles or [None]:
            p = _format(pattern, variable, **keys, **({"tile": tile} if tile is not None else {}))
            shown.append(p)
            found = _matches(p)
            if not found and tile is not None:
                missing.append(tile)
            files += found
        out.append(Step(month, "; ".join(shown), tuple(dict.fromkeys(files)), tuple(missing), stacked, tuple(shown)))
    return out


def input_files(cfg: dict, variable: str, year: int, monthly: bool) -> list[str]:
    """Every file a job reads for ``variable`` in ``year``: the matches of each step, and
    the formatted name of a step without a match when it has no wildcard (so that a
    missing file is named by Snakemake too)."""
    files = []
    for s in steps(cfg, variable, year, monthly):
        files += s.files
        for p in s.expected:
            if not (_GLOB & set(p)) and not os.path.exists(p):
                files.append(p)
    return list(dict.fromkeys(files))


def missing_description(step: Step, variable: str, year: int) -> str | None:
    """A line naming what a step lacks (None when complete)."""
    if not step.missing:
        return None
    when = f"{year}" + (f", month {step.month:02d}" if step.month is not None else "")
    if step.missing_tiles:
        return f"inputs.{variable}.path, {when}: no file for tile(s) {list(step.missing_tiles)} ({step.pattern})"
    return f"inputs.{variable}.path, {when}: no file matches {step.pattern}"


def month_name(month: int) -> str:
    return calendar.month_abbr[month]
