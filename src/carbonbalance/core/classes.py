"""Class-code rasters (land cover, land use) mapped to the names a stage works with.

The config maps each code to a name (``landcover_classes``: IGBP code -> CASA type;
``landuse_classes``: land-use code -> emission category; absorption classes), null or
``none`` meaning "not one of them".  A code that the mapping does not know is an error
that names the codes and the config key, never a silent "none".
"""

from __future__ import annotations

import numpy as np

from carbonbalance.errors import ConfigError, InputError

NODATA = -2  #: index of cells without a valid code
NONE = -1  #: index of codes mapped to null / "none"


def class_lookup(classes: dict, names, config_key: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted codes and their indices into ``names`` (-1 for null / "none")."""
    names = list(names)
    codes, idx = [], []
    for code, name in sorted(((int(c), n) for c, n in classes.items())):
        if name is not None and name != "none" and name not in names:
            raise ConfigError(f"{config_key}: code {code} maps to unknown class {name!r}; use one of {names} or null")
        codes.append(code)
        idx.append(NONE if name is None or name == "none" else names.index(name))
    return np.asarray(codes, dtype="int64"), np.asarray(idx, dtype="int8")


def classify(
    values: np.ndarray,
    codes: np.ndarray,
    idx: np.ndarray,
    variable: str = "class raster",
    config_key: str = "classes",
    nodata: int = NODATA,
) -> np.ndarray:
    """int8 class index per cell from codes (NaN or negative = no data -> ``nodata``).

    Raises :class:`InputError` for a code missing from the mapping.
    """
    v = np.asarray(values)
    valid = np.isfinite(v) & (v >= 0) if v.dtype.kind == "f" else v >= 0
    out = np.full(v.shape, nodata, dtype="int8")
    if not valid.any():
        return out
    vals = v[valid].astype("int64")
    pos = np.clip(np.searchsorted(codes, vals), 0, len(codes) - 1)
    bad = codes[pos] != vals
    if bad.any():
        raise InputError(
            f"{variable}: class code(s) {sorted(set(vals[bad].tolist()))[:10]} are not in "
            f"{config_key} (known: {codes.tolist()})"
        )
    out[valid] = idx[pos]
    return out
