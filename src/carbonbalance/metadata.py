"""Run metadata: package versions, the resolved config and every stage's choices."""

from __future__ import annotations

import datetime as _dt
import json
import platform
from importlib import metadata as _md

PACKAGES = ("carbonbalance", "snakemake", "numpy", "pandas", "xarray", "dask", "zarr", "numba",
            "rasterio", "rioxarray", "pyproj", "geopandas", "shapely", "pyogrio", "scipy",
            "matplotlib", "pyarrow")


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = _md.version(name)
        except _md.PackageNotFoundError:
            out[name] = None
    try:
        import rasterio
        out["GDAL"] = rasterio.__gdal_version__
        import pyproj
        out["PROJ"] = pyproj.proj_version_str
    except ImportError:  # pragma: no cover
        pass
    return out


def _deep_merge(into: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _deep_merge(into[k], v)
        else:
            into[k] = v


def merge_records(paths, config: dict) -> dict:
    """One document from the per-job JSON records at ``paths`` plus versions and config."""
    stages: dict = {}
    for p in paths:
        with open(p) as fh:
            _deep_merge(stages, json.load(fh))
    return {"created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "versions": package_versions(), "config": config, "stages": stages}
