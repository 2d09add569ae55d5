"""CASA on in-memory arrays and on one cell, with the grid kernel (:func:`run_cell`)."""

from __future__ import annotations

import numpy as np

from carbonbalance.casa.kernels import casa_block
from carbonbalance.casa.params import (
    ANNUAL_TERMS,
    MONTHLY_TERMS,
    STATUS,
    TYPES,
    CasaParams,
    month_days,
    n_out,
    term_slots,
)
from carbonbalance.errors import ConfigError


def run_block(
    ndvi,
    temperature,
    precipitation,
    radiation,
    vtype,
    params: CasaParams,
    ndvi_min,
    ndvi_max,
    lat=None,
    year=None,
    dtype="float32",
    terms=MONTHLY_TERMS,
) -> np.ndarray:
    """Run :func:`casa_block` on in-memory arrays; returns the stacked (n_out(terms), ny, nx) output."""
    vtype = np.asarray(vtype, dtype="int8")
    ny, nx = vtype.shape
    if params.thornthwaite_correction == "daylength":
        if lat is None:
            raise ConfigError("casa.thornthwaite_correction: daylength needs cell latitudes")
        lat = np.broadcast_to(np.asarray(lat, dtype="float64"), (ny, nx))
    else:
        lat = np.zeros((1, 1))
    days, doy = month_days(year)
    out = np.empty((n_out(terms), ny, nx), dtype=dtype)
    casa_block(
        ndvi,
        temperature,
        precipitation,
        radiation,
        vtype,
        lat,
        days,
        doy,
        params.kernel_scalars(ndvi_min, ndvi_max),
        term_slots(terms),
        out,
    )
    return out


def run_cell(
    ndvi, temperature, precipitation, radiation, casa_type, params=None, ndvi_limits=None, latitude=None, year=None
) -> dict:
    """CASA for one cell, with the grid kernel: 12-month sequences in, a dict of terms out.

    Parameters
    ----------
    ndvi, temperature, precipitation, radiation : 12 values each (NDVI 1, °C, mm month⁻¹,
        MJ m⁻² month⁻¹; NaN NDVI = missing month)
    casa_type : one of :data:`TYPES`
    params : :class:`CasaParams`, a ``casa`` config dict, or None (SPEC defaults)
    ndvi_limits : optional (min, max) NDVI of the type; default the fixed table in ``params``
    latitude, year : needed for ``thornthwaite_correction: daylength`` (year for month lengths)

    Returns 12-month float64 arrays for every name in :data:`MONTHLY_TERMS` and scalars
    ``topt`` (°C), ``npp_annual``, ``rh_annual``, ``nep_annual`` (g C m⁻² yr⁻¹) and
    ``status`` (see :data:`STATUS`).
    """
    if params is None:
        params = CasaParams()
    elif isinstance(params, dict):
        params = CasaParams.from_config(params)
    if casa_type not in TYPES:
        raise ValueError(f"casa_type must be one of {list(TYPES)}, got {casa_type!r}")
    k = TYPES.index(casa_type)
    mins, maxs = params.table_limits()
    if ndvi_limits is not None:
        mins[k], maxs[k] = ndvi_limits

    def col(x, name):
        a = np.asarray(x, dtype="float64").reshape(-1)
        if a.shape != (12,):
            raise ValueError(f"{name}: need 12 monthly values, got {a.shape[0]}")
        return a.reshape(12, 1, 1)

    out = run_block(
        col(ndvi, "ndvi"),
        col(temperature, "temperature"),
        col(precipitation, "precipitation"),
        col(radiation, "radiation"),
        np.array([[k]], dtype="int8"),
        params,
        mins,
        maxs,
        lat=None if latitude is None else np.array([[latitude]], dtype="float64"),
        year=year,
        dtype="float64",
    )[:, 0, 0]
    res = {name: out[q * 12 : (q + 1) * 12].copy() for q, name in enumerate(MONTHLY_TERMS)}
    a0 = len(MONTHLY_TERMS) * 12
    annual = dict(zip(ANNUAL_TERMS, out[a0:]))
    res["topt"] = float(annual["topt"])
    for name in ("npp", "rh", "nep"):
        res[f"{name}_annual"] = float(annual[name])
    res["status"] = STATUS[int(annual["status"])]
    return res
