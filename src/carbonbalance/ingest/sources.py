"""The sources of one input variable and year (SPEC §2): which file(s), band and
decoding each time step is read with, checked before anything is aligned.

For every time step (:mod:`carbonbalance.ingest.layout`) the files are opened
(:mod:`carbonbalance.ingest.readers`), the band of the step is chosen — the step's own
file, the month or year on the file's CF time axis, or the band counted from
``band_origin`` — and the decoding is fixed, key by key (:func:`decoding`):

    the config  >  the product preset  >  the file's own attributes  >  the default

(scale 1, offset 0; the file's nodata or ``_FillValue`` is always a fill value too).  A
preset whose expectations the file's attributes contradict — another product or version
— stops the run naming the file, the attribute and both values; a value the config
states is used as stated, and a differing file attribute is logged.

Every failure names the file and what is missing: a time step or tile without a file, a
variable the file does not have, a time axis without the year, a band beyond the last.
"""

from __future__ import annotations

import logging
import math

from rasterio.warp import transform_bounds

from carbonbalance.core.grid import GridSpec
from carbonbalance.errors import InputError
from carbonbalance.ingest import layout
from carbonbalance.ingest.hdf4 import Hdf4Reader, is_hdf4
from carbonbalance.ingest.params import RasterInput, where
from carbonbalance.ingest.readers import GdalReader, Mosaic, Reader
from carbonbalance.ingest.units import known_units, normalise

log = logging.getLogger(__name__)


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        a, b = list(a), list(b)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, str) or isinstance(b, str):
        return str(a).strip() == str(b).strip()
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-12)


def _contradiction(spec: RasterInput, at: str, attribute: str, file_value, expected, key: str) -> InputError:
    return InputError(
        f"{at}: the file's {attribute} is {file_value!r} but product {spec.product} expects {expected!r}: "
        f"another product or version? State inputs.{spec.variable}.{key} in the config to read it anyway"
    )


def decoding(spec: RasterInput, attrs: dict, at: str) -> dict:
    """Scale, offset, fill values, valid range and units of one source (see the module
    docstring), and where each came from."""
    out, origin = {}, {}
    pairs = (("scale", "scale_factor", 1.0), ("offset", "add_offset", 0.0), ("valid_range", "valid_range", None))
    for key, attribute, default in pairs:
        own = getattr(spec, key)
        file_value = attrs.get(attribute)
        if own is not None and spec.origin.get(key) == "config":
            out[key], origin[key] = own, "config"
            if file_value is not None and not _same(file_value, own):
                log.warning("%s: the file's %s %r differs from inputs.%s.%s = %r (config used)",
                            at, attribute, file_value, spec.variable, key, own)  # fmt: skip
        elif own is not None:
            expected = spec.expected_attributes.get(attribute, own)
            if file_value is not None and not _same(file_value, expected):
                raise _contradiction(spec, at, attribute, file_value, expected, key)
            out[key], origin[key] = own, spec.origin.get(key, "preset")
        elif file_value is not None:
            out[key], origin[key] = file_value, f"file {attribute}"
        else:
            out[key], origin[key] = default, "default"
    out["valid_range"] = list(out["valid_range"]) if out["valid_range"] is not None else None
    fills = list(spec.fill or ())
    file_fill = attrs.get("fill")
    if file_fill is not None and spec.fill is not None and spec.origin.get("fill", "").startswith("preset"):
        expected = spec.expected_attributes.get("fill")
        if (expected is not None and not _same(file_fill, expected)) or (
            expected is None and not any(_same(file_fill, f) for f in fills)
        ):
            raise _contradiction(spec, at, "fill value", file_fill, expected if expected is not None else fills, "fill")
    if file_fill is not None and not any(_same(file_fill, f) for f in fills):
        fills.append(float(file_fill))
    out["fill"], origin["fill"] = fills, spec.origin.get("fill", "file" if file_fill is not None else "default")
    out["units"], origin["units"] = _units(spec, attrs.get("units"), at)
    out["origin"] = origin
    return out


def _units(spec: RasterInput, file_units: str | None, at: str) -> tuple[str, str]:
    meant = normalise(spec.variable, file_units)
    if spec.units is not None and spec.origin.get("units") == "config":
        if meant is not None and meant != spec.units:
            log.warning("%s: the file says units %r, inputs.%s.units says %r (config used)",
                        at, file_units, spec.variable, spec.units)  # fmt: skip
        return spec.units, "config"
    if spec.units is not None:
        expected = spec.expected_attributes.get("units")
        if file_units and expected is not None and not _same(file_units, expected):
            raise _contradiction(spec, at, "units", file_units, expected, "units")
        if file_units and expected is None and meant is not None and meant != spec.units:
            raise _contradiction(spec, at, "units", file_units, spec.units, "units")
        return spec.units, spec.origin.get("units", "preset")
    if meant is not None:
        return meant, "file units"
    if spec.variable in ("landcover", "landuse"):
        return "class", "default"
    known = ", ".join(repr(u) for u in known_units(spec.variable))
    said = f"its units attribute {file_units!r} is not one of them" if file_units else "it has no units attribute"
    raise InputError(
        f"{at}: inputs.{spec.variable}.units is not stated, no product preset gives it, and {said}; "
        f"state one of {known}"
    )


def _band(spec: RasterInput, step: layout.Step, reader: Reader, year: int, at: str) -> tuple[int, str | None]:
    """The 1-based band of the step in its file(s), and the time it has on the file's axis."""
    count = getattr(reader, "count", 1)
    if not step.stacked:
        band = spec.band or 1
    else:
        times = reader.times() if hasattr(reader, "times") else None
        if times:
            band, when = _band_from_times(spec, step, times, year, at)
            return band, when
        origin = spec.band_origin
        if origin is None and "{year" in spec.path:
            origin = year
        if origin is None:
            if not spec.monthly:
                return spec.band or 1, None  # a static map: the same band every year
            raise InputError(
                f"{at}: the file holds several months but has no CF time axis and the path has no "
                f"{{year}}; set inputs.{spec.variable}.band_origin to the year of its first band"
            )
        offset = year - origin
        band = offset * 12 + step.month if spec.monthly else offset + 1
        if band < 1:
            raise InputError(f"{at}: band_origin {origin} is after the year {year}")
    if band > count:
        what = f"{year}-{step.month:02d}" if step.month else str(year)
        raise InputError(f"{at}: {reader.label} has {count} band(s); {what} would be band {band}")
    return band, None


def _band_from_times(spec, step, times, year, at) -> tuple[int, str]:
    span = f"{times[0][0]}-{times[0][1]:02d} to {times[-1][0]}-{times[-1][1]:02d}"
    if spec.monthly:
        want = (year, step.month)
        hits = [i for i, t in enumerate(times) if t == want]
        label = f"{year}-{step.month:02d}"
    else:
        hits = [i for i, t in enumerate(times) if t[0] == year]
        label = str(year)
        if len(hits) > 1:
            raise InputError(
                f"{at}: the time axis has {len(hits)} steps in {year}; {spec.variable} needs one step per year"
            )
    if not hits:
        raise InputError(f"{at}: the time axis runs from {span}; it has no {label}")
    if len(hits) > 1:
        raise InputError(f"{at}: the time axis has {len(hits)} steps for {label}")
    return hits[0] + 1, label


def open_reader(files: list[str], variable: str | None, band: int, where: str, crs: str | None = None) -> Reader:
    """A reader of band ``band`` of ``variable`` over the tiles ``files`` (one file = no mosaic)."""
    readers = []
    try:
        for f in files:
            if is_hdf4(f):
                if band != 1:
                    raise InputError(f"{where}: {f} is HDF4: one time step per file (band {band} was asked for)")
                readers.append(Hdf4Reader(f, variable, where, crs=crs))
            else:
                r = GdalReader(f, variable, band, where)
                if crs and not r.crs:
                    r.crs = crs
                readers.append(r)
    except Exception:
        for r in readers:
            r.close()
        raise
    return readers[0] if len(readers) == 1 else Mosaic(readers, where)


def resolve_sources(spec: RasterInput, year: int, grid: GridSpec) -> list[dict]:
    """One description per time step of ``spec`` in ``year``: files, band, CRS, decoding,
    shape; all missing steps and tiles are reported in one error."""
    steps = layout.steps(spec.layout(), spec.variable, year, spec.monthly)
    missing = [layout.missing_description(s, spec.variable, year) for s in steps if s.missing]
    if missing:
        raise InputError(f"{spec.variable}: missing input for {year}:\n  " + "\n  ".join(missing))
    described = []
    for step in steps:
        at = where(spec, step.files[0] if len(step.files) == 1 else step.pattern, step.month, year)
        with open_reader(list(step.files), spec.file_variable, 1, at, crs=spec.crs) as probe:
            band, when = _band(spec, step, probe, year, at)
        with open_reader(list(step.files), spec.file_variable, band, at, crs=spec.crs) as r:
            if not r.crs:
                raise InputError(
                    f"{at}: raster has no CRS; fix the file or set inputs.{spec.variable}.crs in the config"
                )
            gb = transform_bounds(grid.crs, r.crs, *grid.bounds, densify_pts=21)
            sb = r.bounds
            if not (sb[0] < gb[2] and sb[2] > gb[0] and sb[1] < gb[3] and sb[3] > gb[1]):
                raise InputError(
                    f"{at}: raster does not overlap the region: raster bounds "
                    f"{tuple(round(b, 4) for b in sb)} vs region bounds {tuple(round(b, 4) for b in gb)} "
                    "in the raster's CRS"
                )
            attrs = r.attributes()
            dec = decoding(spec, attrs, at)
            # GDAL scales resampling kernels by the destination/source pixel ratio of the
            # chunk it warps; fixing it from the whole grid makes results chunk-independent.
            xscale = grid.width / max((gb[2] - gb[0]) / r.res[0], 1e-9)
            yscale = grid.height / max((gb[3] - gb[1]) / r.res[1], 1e-9)
            described.append(
                {
                    "path": r.label,
                    "files": list(step.files),
                    "variable": spec.file_variable,
                    "band": band,
                    "time": when,
                    "month": step.month,
                    "crs": r.crs,
                    "crs_from_coordinates": bool(getattr(r, "crs_from_coordinates", False)),
                    "warp_scale": [xscale, yscale],
                    "resolution": list(r.res),
                    "shape": [r.height, r.width],
                    "transform": list(r.transform)[:6],
                    "attributes": attrs,
                    **dec,
                }
            )
    units = {s["units"] for s in described}
    if len(units) > 1:
        raise InputError(f"{spec.variable} {year}: the files are in different units {sorted(units)}")
    return described
