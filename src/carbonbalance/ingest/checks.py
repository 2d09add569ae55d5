"""Checks of the raster inputs (SPEC §2) after alignment: per-file counts of one alignment
(fill, valid range, coverage of the region) and the distribution of each variable-year,
each failing with the file, statistic, range and key.  The files themselves, their CRS and
their overlap with the region are checked before by :mod:`carbonbalance.ingest.sources`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from carbonbalance.errors import InputError
from carbonbalance.ingest.params import CLASS_VARIABLES, HINTS, PLAUSIBLE, RasterInput, where


def empty_stats(n: int, spec: RasterInput | None = None) -> dict:
    """Per-file counters of one block (or of the whole grid once merged)."""
    d = None if spec is None else spec.distribution
    return {
        "n_read": [0] * n,
        "n_fill": [0] * n,
        "n_out_of_range": [0] * n,
        "min": [np.inf] * n,
        "max": [-np.inf] * n,
        "codes": set(),
        "total": [0.0] * n,
        "n_region": [0] * n,
        "n_region_nodata": [0] * n,
        "histogram": np.zeros(int(d.bins[2]) if d else 0, dtype="int64"),
    }


def merge_stats(parts: list[dict], n: int, spec: RasterInput | None = None) -> dict:
    merged = empty_stats(n, spec)
    for p in parts:
        for k in range(n):
            for key in ("n_read", "n_fill", "n_out_of_range", "total", "n_region", "n_region_nodata"):
                merged[key][k] += p[key][k]
            merged["min"][k] = min(merged["min"][k], p["min"][k])
            merged["max"][k] = max(merged["max"][k], p["max"][k])
        merged["codes"] |= p["codes"]
        merged["histogram"] += p["histogram"]
    return merged


def histogram_percentile(counts: np.ndarray, q: float, lo: float, hi: float) -> float:
    """The ``q``-th percentile of values binned in ``counts`` on [lo, hi] (bin centre)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(counts), q / 100.0 * total))
    width = (hi - lo) / len(counts)
    return float(lo + (min(k, len(counts) - 1) + 0.5) * width)


def distribution_value(spec: RasterInput, stats: dict) -> float | None:
    """The checked statistic of the variable-year (None when the variable has no check)."""
    d = spec.distribution
    if d is None or not stats["histogram"].sum():
        return None
    return histogram_percentile(stats["histogram"], d.q, d.bins[0], d.bins[1])


def validate(spec: RasterInput, sources: list[dict], stats: dict, year: int, class_codes: Sequence[int] | None) -> None:
    """Stop on the first check a file or the variable-year fails (see the module docstring)."""
    for k, s in enumerate(sources):
        at = where(spec, s["path"], s["month"], year)
        read, oor = stats["n_read"][k], stats["n_out_of_range"][k]
        if read and oor / read > spec.max_invalid_share:
            raise InputError(
                f"{at}: {oor} of {read} pixels ({100 * oor / read:.2f} %) are outside the valid "
                f"range {s['valid_range']} (raw values, from {s['origin']['valid_range']}); the limit is "
                f"inputs.{spec.variable}.max_invalid_share = {spec.max_invalid_share}"
            )
        if spec.variable in PLAUSIBLE and np.isfinite(stats["min"][k]):
            lo, hi = PLAUSIBLE[spec.variable]
            vmin, vmax = stats["min"][k], stats["max"][k]
            if vmin < lo or vmax > hi:
                raise InputError(
                    f"{at}: values from {vmin:.6g} to {vmax:.6g} after scale {s['scale']} "
                    f"and unit conversion from {s['units']!r} are outside the plausible range "
                    f"[{lo}, {hi}]; {HINTS[spec.variable]}"
                )
    if spec.variable in CLASS_VARIABLES and class_codes is not None:
        unknown = sorted(set(stats["codes"]) - {int(c) for c in class_codes})
        if unknown:
            key = "landcover_classes" if spec.variable == "landcover" else "landuse_classes"
            raise InputError(
                f"{spec.variable}: {sources[0]['path']}: class code(s) {unknown} are not in the "
                f"mapping table {key} of the config (known codes: {sorted(int(c) for c in class_codes)}); "
                f"add them or declare them in inputs.{spec.variable}.fill"
            )
    if not any(stats["n_read"]):
        raise InputError(f"{spec.variable}: no pixel of {[s['path'] for s in sources]} falls on the grid")
    for k, s in enumerate(sources):
        n, gap = stats["n_region"][k], stats["n_region_nodata"][k]
        if n and gap / n > spec.max_nodata_share:
            raise InputError(
                f"{where(spec, s['path'], s['month'], year)}: {gap} of the region's {n} cells "
                f"({100 * gap / n:.1f} %) have no data after alignment; the limit is "
                f"inputs.{spec.variable}.max_nodata_share = {spec.max_nodata_share}. The file covers only part of "
                f"the region, or its fill value or valid range hides data"
            )
    value, d = distribution_value(spec, stats), spec.distribution
    if value is not None and not (d.plausible[0] <= value <= d.plausible[1]):
        files = spec.path.replace("{month:02d}", "*").replace("{doy:03d}", "*").replace("{year}", str(year))
        raise InputError(
            f"{spec.variable} {year} ({files}): {d.statistic} is {value:.4g}, outside the plausible range "
            f"{list(d.plausible)} after scale {sources[0]['scale']:g} and conversion from {sources[0]['units']!r}: "
            f"{d.hint}. If it is "
            f"right for your region, widen inputs.{spec.variable}.plausible_range"
        )
