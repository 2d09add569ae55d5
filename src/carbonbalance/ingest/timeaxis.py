"""CF time axes (SPEC §2 "as delivered"): the (year, month) of each time step of a NetCDF
variable, so that a month is picked from a file that holds many by its own time
coordinate, not by counting bands."""

from __future__ import annotations

import datetime
import math
import re

from carbonbalance.errors import InputError


def numbers(text: str) -> list[float]:
    """Every number in ``text`` (attribute lists such as '{0,31,59}' or '(1.0, 2.0)')."""
    return [float(v) for v in re.findall(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", text)]


_TIME_UNITS = {
    "days": 86400.0,
    "day": 86400.0,
    "d": 86400.0,
    "hours": 3600.0,
    "hour": 3600.0,
    "h": 3600.0,
    "minutes": 60.0,
    "minute": 60.0,
    "seconds": 1.0,
    "second": 1.0,
    "s": 1.0,
}


def cf_times(values: list[float], units: str, calendar: str = "standard", where: str = "") -> list[tuple[int, int]]:
    """(year, month) of CF time values ``<unit> since <date>`` (standard/gregorian/
    proleptic_gregorian, noleap/365_day, 360_day calendars; months only, so a day's offset
    within the month never matters)."""
    m = re.match(r"\s*(\w+)\s+since\s+(\d{1,4})-(\d{1,2})-(\d{1,2})", units or "")
    if not m or m.group(1).lower() not in _TIME_UNITS:
        raise InputError(f"{where}: time units {units!r} are not '<days|hours|minutes|seconds> since <date>'")
    seconds = _TIME_UNITS[m.group(1).lower()]
    y0, mo0, d0 = int(m.group(2)), int(m.group(3)), int(m.group(4))
    cal = (calendar or "standard").lower()
    out = []
    for v in values:
        days = float(v) * seconds / 86400.0
        if cal in ("standard", "gregorian", "proleptic_gregorian"):
            t = datetime.datetime(y0, mo0, d0) + datetime.timedelta(days=days)
            out.append((t.year, t.month))
        elif cal in ("noleap", "365_day"):
            lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            doy = sum(lengths[: mo0 - 1]) + d0 - 1 + math.floor(days)
            year = y0 + doy // 365
            doy %= 365
            month = next(i + 1 for i in range(12) if doy < sum(lengths[: i + 1]))
            out.append((int(year), month))
        elif cal == "360_day":
            n = (mo0 - 1) * 30 + d0 - 1 + math.floor(days)
            out.append((int(y0 + n // 360), int((n % 360) // 30 + 1)))
        else:
            raise InputError(f"{where}: time calendar {calendar!r} is not supported")
    return out


def cf_band_times(src, where: str) -> list[tuple[int, int]] | None:
    """(year, month) of each band of a GDAL netCDF variable, from its time coordinate."""
    tags = src.tags()
    extra = _numbers_or_names(tags.get("NETCDF_DIM_EXTRA", ""))
    for dim in extra:
        if f"{dim}#units" in tags and "since" in tags[f"{dim}#units"]:
            values = numbers(tags.get(f"NETCDF_DIM_{dim}_VALUES", ""))
            if len(values) != src.count:
                return None  # several extra dimensions: bands are not one time axis
            return cf_times(values, tags[f"{dim}#units"], tags.get(f"{dim}#calendar", "standard"), where)
    return None


def _numbers_or_names(text: str) -> list[str]:
    return [t for t in re.split(r"[{},\s]+", text) if t]
