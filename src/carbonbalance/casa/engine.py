"""CASA over the whole grid with dask: NDVI limits, lazy terms, block summaries.

:func:`ndvi_limits` is the first chunked pass (per-type NDVI histograms summed over
chunks); :func:`casa_stacked` wraps the numba kernel
:func:`~carbonbalance.casa.kernels.casa_block` in ``dask.array.map_blocks`` over lazily
read inputs (one kernel call per chunk, so the result does not depend on the chunk shape
and memory is bounded by the chunk size times the threads); :func:`block_summaries`
reduces the counts and sums of the run's record.
"""

from __future__ import annotations

import functools
import logging

import dask.array as da
import numpy as np
import xarray as xr

from carbonbalance.casa import histogram, kernels
from carbonbalance.casa.params import (
    ANNUAL_TERMS,
    ANNUAL_UNITS,
    LONG_NAMES,
    MONTHLY_TERMS,
    NTYPES,
    STATUS,
    TYPES,
    UNITS,
    CasaParams,
    month_days,
    n_out,
    term_slots,
    type_lookup,
    vegetation_type,
)
from carbonbalance.core.blocks import chunked_view, compute
from carbonbalance.core.grid import GridSpec
from carbonbalance.errors import InputError

log = logging.getLogger(__name__)


def _data(x, chunks=None):
    """Dask array of a DataArray, dask or numpy array (numpy: views, chunked like ``chunks``)."""
    x = x.data if isinstance(x, xr.DataArray) else x
    if isinstance(x, da.Array):
        return x if chunks is None else x.rechunk(chunks)
    x = np.asarray(x)
    return chunked_view(x, chunks if chunks is not None else x.shape)


def vegetation_types(landcover, classes: dict):
    """Lazy int8 CASA type index per cell (-1 masked class, -2 no data) from land-cover codes."""
    codes, types = type_lookup(classes)
    lc = _data(landcover)
    return lc.map_blocks(vegetation_type, codes, types, dtype="int8")


def study_area_mask(units_path, grid: GridSpec) -> np.ndarray:
    """Cells touching any unit of the boundaries (bool, grid shape)."""
    import geopandas as gpd
    from rasterio.features import rasterize

    units = gpd.read_file(units_path)
    if units.crs is not None and not units.crs.equals(grid.pyproj_crs):
        units = units.to_crs(grid.crs)
    return rasterize(
        ((g, 1) for g in units.geometry if g is not None and not g.is_empty),
        out_shape=grid.shape,
        transform=grid.transform,
        all_touched=True,
        fill=0,
        dtype="uint8",
    ).astype(bool)


def ndvi_limits(ndvi, vtype, params: CasaParams, mask=None, threads: int = 1) -> tuple:
    """Per-type NDVI (min, max) for the year and the record of how they were obtained.

    ``percentile``: percentiles of NDVI > 0 over the cell-months of each type (inside
    ``mask``), from integer histograms summed over chunks (error < bin width).
    Returns (mins, maxs, record) with arrays in :data:`~carbonbalance.casa.params.TYPES` order.
    """
    tmin, tmax = params.table_limits()
    if params.ndvi_limits == "table":
        return tmin, tmax, {"method": "table", "limits": {t: [tmin[k], tmax[k]] for k, t in enumerate(TYPES)}}
    width = float(params.percentile_bin_width)
    nbins = int(round(1.0 / width))
    nd = _data(ndvi)
    vt = _data(vtype, nd.chunks[1:])
    mk = da.ones(vt.shape, dtype=bool, chunks=vt.chunks) if mask is None else _data(mask, vt.chunks)

    def block(n, v, m):
        return histogram.ndvi_histogram(n, v[0], m[0], nbins, width)[None, None, None]

    hist = da.map_blocks(
        block,
        nd,
        vt[None],
        mk[None],
        dtype="int64",
        chunks=((1,),) + tuple(((1,) * len(c)) for c in nd.chunks[1:]) + ((NTYPES,), (nbins,)),
        new_axis=[3, 4],
    )
    counts = compute(hist.sum(axis=(0, 1, 2)), threads=threads, label="NDVI histograms")[0]
    mins, maxs = tmin.copy(), tmax.copy()
    record = {
        "method": "percentile",
        "percentiles": list(params.percentiles),
        "bin_width": width,
        "error_bound": f"< {width} NDVI (histogram bin width)",
        "types": {},
    }
    lo_q, hi_q = params.percentiles
    for k, t in enumerate(TYPES):
        n = int(counts[k].sum())
        rec = {"n_cell_months": n}
        if n == 0:
            rec["source"] = "table (type absent)"
        elif n < params.min_percentile_samples:
            rec["source"] = f"table (only {n} samples < min_percentile_samples)"
            log.warning(
                "NDVI limits of %s: only %d cell-months, using the fixed table %.3f .. %.3f", t, n, tmin[k], tmax[k]
            )
        else:
            lo = histogram.histogram_percentile(counts[k], lo_q, width)
            hi = histogram.histogram_percentile(counts[k], hi_q, width)
            if not (hi - lo > 2 * width and hi < 1.0):
                rec["source"] = f"table (degenerate percentiles {lo:.4f}, {hi:.4f})"
                log.warning("NDVI limits of %s: degenerate percentiles %.4f, %.4f; using the table", t, lo, hi)
            else:
                mins[k], maxs[k] = lo, hi
                rec["source"] = "percentile"
        rec["min"], rec["max"] = float(mins[k]), float(maxs[k])
        record["types"][t] = rec
        if n:
            log.info("NDVI limits %-5s %.4f .. %.4f from %d cell-months (%s)", t, mins[k], maxs[k], n, rec["source"])
    return mins, maxs, record


def latitude(grid: GridSpec, chunks) -> da.Array:
    """Lazy latitude (degrees) of the cell centres, chunked like ``chunks`` (y, x)."""
    return da.map_blocks(functools.partial(_latitude_block, grid), chunks=chunks, dtype="float64")


def _latitude_block(grid: GridSpec, block_info=None) -> np.ndarray:
    """Latitudes of one block (a module-level function: graphs go to distributed workers)."""
    from pyproj import Transformer

    (r0, r1), (c0, c1) = block_info[None]["array-location"]
    x, y = np.meshgrid(grid.x_centres()[c0:c1], grid.y_centres()[r0:r1])
    tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    return tr.transform(x, y)[1]


def casa_stacked(
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
) -> da.Array:
    """The kernel's stacked output (n_out(terms), y, x) as a lazy dask array (one kernel call per chunk).

    ``terms``: the monthly terms to keep (any of :data:`~carbonbalance.casa.params.MONTHLY_TERMS`,
    in that order in the output), followed by the annual layers.

    Inputs are (12, y, x) arrays (dask, numpy or DataArray) and the (y, x) int8 type map;
    everything is rechunked to the spatial chunks of ``ndvi``.
    """
    nd = _data(ndvi)
    if nd.ndim != 3 or nd.shape[0] != 12:
        raise InputError(f"ndvi: expected 12 months on (month, y, x), got shape {nd.shape}")
    nd = nd.rechunk({0: 12})
    chunks = nd.chunks
    ins = [nd] + [_data(a, chunks) for a in (temperature, precipitation, radiation)]
    vt = _data(vtype, chunks[1:])
    corr = params.thornthwaite_correction == "daylength"
    if corr and lat is None:
        raise InputError("casa.thornthwaite_correction: daylength needs the grid's latitudes")
    la = _data(lat, chunks[1:]) if corr else da.zeros(vt.shape, chunks=chunks[1:])
    days, doy = month_days(year)
    scalars = params.kernel_scalars(ndvi_min, ndvi_max)

    slots = term_slots(terms)
    nout = n_out(terms)

    block = functools.partial(_casa_block, nout=nout, dtype=dtype, corr=corr, days=days, doy=doy, scalars=scalars,
                              slots=slots)  # fmt: skip
    return da.map_blocks(
        block, *ins, vt[None], la[None], dtype=dtype, meta=np.empty((0, 0, 0), dtype), chunks=((nout,),) + chunks[1:]
    )


def _casa_block(n, t, p, s, v, lt, *, nout, dtype, corr, days, doy, scalars, slots) -> np.ndarray:
    """One chunk through the kernel (a module-level function: graphs go to distributed workers)."""
    out = np.empty((nout,) + v.shape[1:], dtype=dtype)
    # views of in-memory inputs are passed as they are (numba compiles a strided variant)
    kernels.casa_block(n, t, p, s, v[0], lt[0] if corr else np.zeros((1, 1)), days, doy, scalars, slots, out)
    return out


#: the monthly terms that carry εmax's effect (ε = Tε1 Tε2 Wε εmax, NPP = APAR ε)
MEMBER_TERMS = ("t_eps1", "t_eps2", "w_eps", "apar")


def casa_members_stacked(
    ndvi,
    temperature,
    precipitation,
    radiation,
    vtype,
    params: CasaParams,
    ndvi_min,
    ndvi_max,
    eps_max,
    lat=None,
    year=None,
) -> da.Array:
    """Annual NPP, RH and NEP of a batch of εmax tables, (n_members, 3, y, x) float32, lazily.

    ``eps_max``: (n_members, n_types) array in :data:`~carbonbalance.casa.params.TYPES` order.
    Each chunk is read once and goes once through :func:`~carbonbalance.casa.kernels.casa_block`
    (keeping Tε1, Tε2, Wε and APAR in float64); :func:`~carbonbalance.casa.kernels.member_annual`
    then applies every member's εmax, so 100 members cost one CASA pass and 100 cheap sums, and
    each member equals a separate run of :func:`casa_stacked` with its εmax exactly.
    """
    eps = member_eps(eps_max)
    terms = casa_member_terms(
        ndvi, temperature, precipitation, radiation, vtype, params, ndvi_min, ndvi_max, lat=lat, year=year
    )
    vt = _data(vtype, terms.chunks[1:])
    nm = eps.shape[0]
    return da.map_blocks(
        members_block,
        terms,
        vt[None],
        eps=eps,
        dtype="float32",
        meta=np.empty((0, 0, 0, 0), "float32"),
        chunks=((nm,), (3,)) + terms.chunks[1:],
        new_axis=[0],
    )


def member_eps(eps_max) -> np.ndarray:
    """The members' εmax as a (members, types) float64 array, checked."""
    eps = np.ascontiguousarray(eps_max, dtype="float64")
    if eps.ndim != 2 or eps.shape[1] != NTYPES:
        raise InputError(f"eps_max of the members: expected (members, {NTYPES}) values, got shape {eps.shape}")
    return eps


def casa_member_terms(
    ndvi, temperature, precipitation, radiation, vtype, params: CasaParams, ndvi_min, ndvi_max, lat=None, year=None
) -> da.Array:
    """What every member shares, lazily: the kernel's float64 output with the monthly Tε1, Tε2,
    Wε and APAR (:data:`MEMBER_TERMS`) and the annual layers (RH among them), for
    :func:`members_block`."""
    return casa_stacked(
        ndvi, temperature, precipitation, radiation, vtype, params, ndvi_min, ndvi_max, lat=lat, year=year,
        dtype="float64", terms=MEMBER_TERMS,
    )  # fmt: skip


def members_block(t, v, *, eps) -> np.ndarray:
    """Annual NPP, RH and NEP (members, 3, y, x) float32 of one chunk's shared terms ``t``
    (:func:`casa_member_terms`) and type map ``v`` (1, y, x) for the members' εmax ``eps``.
    A module-level function: graphs go to distributed workers; a caller may also apply the
    members of a chunk a few at a time (:func:`carbonbalance.casa.stage.run_casa_members`)."""
    rh = t[12 * len(MEMBER_TERMS) + 1]
    out = np.empty((eps.shape[0], 3) + v.shape[1:], dtype="float32")
    kernels.member_annual(t[0:12], t[12:24], t[24:36], t[36:48], rh, v[0], eps, out)
    return out


def as_dataset(stacked: da.Array, terms=MONTHLY_TERMS) -> xr.Dataset:
    """Name the layers of the stacked output: monthly variables (month, y, x) as in
    :data:`~carbonbalance.casa.params.MONTHLY_TERMS`; ``annual_npp``, ``annual_rh``, ``annual_nep``
    (g C m⁻² yr⁻¹), ``topt`` (°C), ``status`` and the per-cell counters on (y, x)."""
    dims = ("month", "y", "x")
    data_vars = {}
    kept = [t for t in MONTHLY_TERMS if t in set(terms)]
    for q, name in enumerate(kept):
        data_vars[name] = (dims, stacked[q * 12 : (q + 1) * 12], {"units": UNITS[name], "long_name": LONG_NAMES[name]})
    a0 = len(kept) * 12
    for q, name in enumerate(ANNUAL_TERMS):
        key = f"annual_{name}" if name in ("npp", "rh", "nep") else name
        attrs = {"units": ANNUAL_UNITS.get(name, "1")}
        if name == "status":
            attrs["flag_meanings"] = "; ".join(f"{k}={v}" for k, v in STATUS.items())
        data_vars[key] = (dims[1:], stacked[a0 + q], attrs)
    return xr.Dataset(data_vars, coords={"month": np.arange(1, 13)})


def casa_dataset(*args, terms=MONTHLY_TERMS, **kwargs) -> xr.Dataset:
    """CASA terms, lazily (arguments of :func:`casa_stacked`, layers of :func:`as_dataset`)."""
    return as_dataset(casa_stacked(*args, terms=terms, **kwargs), terms)


_NS = len(STATUS)
_NC = len(ANNUAL_TERMS) - 5


def _slots(sizes: dict) -> dict:
    out, a = {}, 0
    for name, n in sizes.items():
        out[name] = (a, a + n)
        a += n
    return out


#: layout of a block summary vector: status counts, counters, annual flags, NPP sum and
#: cell count per type, NEP sum, sequestration sum, vegetated cells without NDVI per month
#: and vegetated cells (all summed over blocks), then the NPP max.
_SLOTS = _slots(
    {
        "status": _NS,
        "counters": _NC,
        "annual_flagged": 1,
        "npp_sum_by_type": NTYPES,
        "n_by_type": NTYPES,
        "nep_sum": 1,
        "seq_total": 1,
        "gaps_by_month": 12,
        "n_vegetated": 1,
    }
)
_NSUM = _SLOTS["n_vegetated"][1]


def _summarise_block(s, v, q, ndvi, region, annual_max, a0):
    out = np.zeros(_NSUM + 1)
    status = s[a0 + 4].astype("int64").ravel()
    out[0:_NS] = np.bincount(status, minlength=_NS)[:_NS]
    out[_NS : _NS + _NC] = s[a0 + 5 :].reshape(_NC, -1).sum(axis=1, dtype="float64")
    npp = s[a0].astype("float64")
    good = np.isfinite(npp)
    out[_NS + _NC] = int((npp[good] > annual_max).sum())
    k = v[0][good].astype("int64")
    o = _SLOTS["npp_sum_by_type"][0]
    out[o : o + NTYPES] = np.bincount(k, weights=npp[good], minlength=NTYPES)[:NTYPES]
    o = _SLOTS["n_by_type"][0]
    out[o : o + NTYPES] = np.bincount(k, minlength=NTYPES)[:NTYPES]
    out[_SLOTS["nep_sum"][0]] = np.nansum(s[a0 + 2], dtype="float64")
    out[_SLOTS["seq_total"][0]] = np.nansum(q[0], dtype="float64")
    veg = (v[0] >= 0) & region[0]
    o = _SLOTS["gaps_by_month"][0]
    out[o : o + 12] = (~np.isfinite(ndvi) & veg[None]).sum(axis=(1, 2))
    out[_SLOTS["n_vegetated"][0]] = veg.sum()
    out[_NSUM] = npp[good].max() if good.any() else -np.inf
    return out[None, None, None]


def block_summaries(stacked: da.Array, vtype, seq, params: CasaParams, n_monthly: int, ndvi, region=None) -> da.Array:
    """One summary vector per chunk (counts, sums, max), reduced over chunks; lazy.

    ``region``: (y, x) bool, the study area over which vegetated cells without NDVI are
    counted (None = every cell): inputs clipped to the country leave the grid's corners
    outside it without NDVI, which is not a gap."""
    nb = tuple((1,) * len(c) for c in stacked.chunks[1:])
    nd = _data(ndvi).rechunk({0: 12}).rechunk((12,) + stacked.chunks[1:])
    vt = _data(vtype, stacked.chunks[1:])
    region = da.ones(vt.shape, dtype=bool, chunks=vt.chunks) if region is None else _data(region, vt.chunks)
    per_block = da.map_blocks(
        _summarise_block,
        stacked,
        vt[None],
        seq[None],
        nd,
        region[None],
        float(params.annual_npp_max),
        12 * n_monthly,
        dtype="float64",
        meta=np.empty((0, 0, 0, 0)),
        chunks=((1,),) + nb + ((_NSUM + 1,),),
        new_axis=[3],
    )
    return da.concatenate([per_block[..., :_NSUM].sum(axis=(0, 1, 2)), per_block[..., _NSUM:].max(axis=(0, 1, 2))])


def unpack(summ: np.ndarray) -> dict:
    red = {k: summ[a:b] for k, (a, b) in _SLOTS.items()}
    for k in ("annual_flagged", "nep_sum", "seq_total", "n_vegetated"):
        red[k] = float(red[k][0])
    red["npp_max"] = float(summ[_NSUM])
    return red
