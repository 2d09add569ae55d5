"""CASA over the whole grid with dask (rule ``casa``): NDVI limits, lazy terms, outputs.

:func:`ndvi_limits` is the first chunked pass (per-type NDVI histograms summed over
chunks); :func:`casa_dataset` wraps the numba kernel :func:`carbonbalance.casa.casa_block`
in ``dask.array.map_blocks`` over lazily read inputs; :func:`run_casa_year` writes the
annual COGs, the monthly Zarr store and the provenance record of one year.
"""

from __future__ import annotations

import contextlib
import logging

import dask.array as da
import numpy as np
import xarray as xr
import zarr

from carbonbalance import casa
from carbonbalance.casa import ANNUAL_TERMS, MONTHLY_TERMS, NTYPES, TYPES, CasaParams
from carbonbalance.errors import InputError
from carbonbalance.grid import GridSpec
from carbonbalance.parallel import chunked_view, compute
from carbonbalance.store import GeoTiffBlockWriter, atomic_output, create_store, open_store, to_cog

log = logging.getLogger(__name__)

MONTHLY_INPUTS = ("ndvi", "temperature", "precipitation", "radiation")
EXPECTED_UNITS = {"ndvi": "1", "temperature": "degC", "precipitation": "mm month-1",
                  "radiation": "MJ m-2 month-1"}


def _data(x, chunks=None):
    """Dask array of a DataArray, dask or numpy array (numpy: views, chunked like ``chunks``)."""
    x = x.data if isinstance(x, xr.DataArray) else x
    if isinstance(x, da.Array):
        return x if chunks is None else x.rechunk(chunks)
    x = np.asarray(x)
    return chunked_view(x, chunks if chunks is not None else x.shape)


def vegetation_types(landcover, classes: dict):
    """Lazy int8 CASA type index per cell (-1 masked class, -2 no data) from land-cover codes."""
    codes, types = casa.type_lookup(classes)
    lc = _data(landcover)
    return lc.map_blocks(casa.vegetation_type, codes, types, dtype="int8")


def study_area_mask(units_path, grid: GridSpec) -> np.ndarray:
    """Cells touching any unit of the boundaries (bool, grid shape)."""
    import geopandas as gpd
    from rasterio.features import rasterize

    units = gpd.read_file(units_path)
    if units.crs is not None and not units.crs.equals(grid.pyproj_crs):
        units = units.to_crs(grid.crs)
    return rasterize(((g, 1) for g in units.geometry if g is not None and not g.is_empty),
                     out_shape=grid.shape, transform=grid.transform, all_touched=True,
                     fill=0, dtype="uint8").astype(bool)


def ndvi_limits(ndvi, vtype, params: CasaParams, mask=None, threads: int = 1) -> tuple:
    """Per-type NDVI (min, max) for the year and the record of how they were obtained.

    ``percentile``: percentiles of NDVI > 0 over the cell-months of each type (inside
    ``mask``), from integer histograms summed over chunks (error < bin width).
    Returns (mins, maxs, record) with arrays in :data:`~carbonbalance.casa.TYPES` order.
    """
    tmin, tmax = params.table_limits()
    if params.ndvi_limits == "table":
        return tmin, tmax, {"method": "table", "limits": {t: [tmin[k], tmax[k]] for k, t in enumerate(TYPES)}}
    width = float(params.percentile_bin_width)
    nbins = int(round(1.0 / width))
    nd = _data(ndvi)
    vt = _data(vtype, nd.chunks[1:])
    mk = (da.ones(vt.shape, dtype=bool, chunks=vt.chunks) if mask is None
          else _data(mask, vt.chunks))

    def block(n, v, m):
        return casa.ndvi_histogram(n, v[0], m[0], nbins, width)[None, None, None]

    hist = da.map_blocks(block, nd, vt[None], mk[None], dtype="int64",
                         chunks=((1,),) + tuple(((1,) * len(c)) for c in nd.chunks[1:])
                         + ((NTYPES,), (nbins,)), new_axis=[3, 4])
    counts = compute(hist.sum(axis=(0, 1, 2)), threads=threads, label="NDVI histograms")[0]
    mins, maxs = tmin.copy(), tmax.copy()
    record = {"method": "percentile", "percentiles": list(params.percentiles), "bin_width": width,
              "error_bound": f"< {width} NDVI (histogram bin width)", "types": {}}
    lo_q, hi_q = params.percentiles
    for k, t in enumerate(TYPES):
        n = int(counts[k].sum())
        rec = {"n_cell_months": n}
        if n == 0:
            rec["source"] = "table (type absent)"
        elif n < params.min_percentile_samples:
            rec["source"] = f"table (only {n} samples < min_percentile_samples)"
            log.warning("NDVI limits of %s: only %d cell-months, using the fixed table %.3f .. %.3f", t, n,
                        tmin[k], tmax[k])
        else:
            lo = casa.histogram_percentile(counts[k], lo_q, width)
            hi = casa.histogram_percentile(counts[k], hi_q, width)
            if not (hi - lo > 2 * width and hi < 1.0):
                rec["source"] = f"table (degenerate percentiles {lo:.4f}, {hi:.4f})"
                log.warning("NDVI limits of %s: degenerate percentiles %.4f, %.4f; using the table", t, lo, hi)
            else:
                mins[k], maxs[k] = lo, hi
                rec["source"] = "percentile"
        rec["min"], rec["max"] = float(mins[k]), float(maxs[k])
        record["types"][t] = rec
        if n:
            log.info("NDVI limits %-5s %.4f .. %.4f from %d cell-months (%s)", t, mins[k], maxs[k], n,
                     rec["source"])
    return mins, maxs, record


def latitude(grid: GridSpec, chunks) -> da.Array:
    """Lazy latitude (degrees) of the cell centres, chunked like ``chunks`` (y, x)."""
    from pyproj import Transformer

    def block(block_info=None):
        (r0, r1), (c0, c1) = block_info[None]["array-location"]
        x, y = np.meshgrid(grid.x_centres()[c0:c1], grid.y_centres()[r0:r1])
        tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
        return tr.transform(x, y)[1]

    return da.map_blocks(block, chunks=chunks, dtype="float64")


def casa_stacked(ndvi, temperature, precipitation, radiation, vtype, params: CasaParams,
                 ndvi_min, ndvi_max, lat=None, year=None, dtype="float32",
                 terms=MONTHLY_TERMS) -> da.Array:
    """The kernel's stacked output (n_out(terms), y, x) as a lazy dask array (one kernel call per chunk).

    ``terms``: the monthly terms to keep (any of :data:`~carbonbalance.casa.MONTHLY_TERMS`,
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
    days, doy = casa.month_days(year)
    args = casa._kernel_args(params, ndvi_min, ndvi_max)

    slots = casa.term_slots(terms)
    nout = casa.n_out(terms)

    def block(n, t, p, s, v, lt):
        out = np.empty((nout,) + v.shape[1:], dtype=dtype)
        # views of in-memory inputs are passed as they are (numba compiles a strided variant)
        casa.casa_block(n, t, p, s, v[0], lt[0] if corr else np.zeros((1, 1)), days, doy, *args, slots, out)
        return out

    return da.map_blocks(block, *ins, vt[None], la[None], dtype=dtype, meta=np.empty((0, 0, 0), dtype),
                         chunks=((nout,),) + chunks[1:])


def as_dataset(stacked: da.Array, terms=MONTHLY_TERMS) -> xr.Dataset:
    """Name the layers of the stacked output: monthly variables (month, y, x) as in
    :data:`~carbonbalance.casa.MONTHLY_TERMS`; ``annual_npp``, ``annual_rh``, ``annual_nep``
    (g C m⁻² yr⁻¹), ``topt`` (°C), ``status`` and the per-cell counters on (y, x)."""
    dims = ("month", "y", "x")
    data_vars = {}
    kept = [t for t in MONTHLY_TERMS if t in set(terms)]
    for q, name in enumerate(kept):
        data_vars[name] = (dims, stacked[q * 12:(q + 1) * 12],
                           {"units": casa.UNITS[name], "long_name": casa.LONG_NAMES[name]})
    a0 = len(kept) * 12
    for q, name in enumerate(ANNUAL_TERMS):
        key = f"annual_{name}" if name in ("npp", "rh", "nep") else name
        attrs = {"units": casa.ANNUAL_UNITS.get(name, "1")}
        if name == "status":
            attrs["flag_meanings"] = "; ".join(f"{k}={v}" for k, v in casa.STATUS.items())
        data_vars[key] = (dims[1:], stacked[a0 + q], attrs)
    return xr.Dataset(data_vars, coords={"month": np.arange(1, 13)})


def casa_dataset(*args, terms=MONTHLY_TERMS, **kwargs) -> xr.Dataset:
    """CASA terms, lazily (arguments of :func:`casa_stacked`, layers of :func:`as_dataset`)."""
    return as_dataset(casa_stacked(*args, terms=terms, **kwargs), terms)


def _check_units(ds: xr.Dataset, var: str, path) -> None:
    units = ds[var].attrs.get("units")
    if units != EXPECTED_UNITS[var]:
        raise InputError(f"{path}: variable {var!r} has units {units!r}, CASA needs {EXPECTED_UNITS[var]!r}")
    if ds[var].sizes.get("month") != 12:
        raise InputError(f"{path}: variable {var!r} must hold 12 months")


def open_inputs(paths: dict, grid: GridSpec) -> dict:
    """Open the aligned stores, check variable, units and grid shape; rechunk to the grid chunk."""
    arrays = {}
    for var in MONTHLY_INPUTS + ("landcover",):
        ds = open_store(paths[var])
        if var not in ds:
            raise InputError(f"{paths[var]}: no variable {var!r} (found {list(ds.data_vars)})")
        if var in EXPECTED_UNITS:
            _check_units(ds, var, paths[var])
        a = ds[var]
        if a.shape[-2:] != grid.shape:
            raise InputError(f"{paths[var]}: grid shape {a.shape[-2:]} differs from the run's grid {grid.shape}")
        chunks = ({"month": 12} if "month" in a.dims else {}) | {"y": grid.chunk, "x": grid.chunk}
        arrays[var] = a.chunk(chunks)
    return arrays


def run_casa_year(paths: dict, grid: GridSpec, params: CasaParams, classes: dict, year: int,
                  outputs: dict, units_path=None, threads: int = 1) -> dict:
    """Compute CASA for one year from the aligned stores and write every output atomically.

    paths : {"ndvi", "temperature", "precipitation", "radiation", "landcover", "cell_area": store path}
    outputs : {"npp", "rh", "nep", "sequestration": COG path, "monthly": Zarr path}
    units_path : boundaries (grid CRS) delimiting the study area of the NDVI percentiles
                 (None = the whole grid)

    Returns the provenance record: NDVI limits, counts by status, stress counters,
    plausibility flags and annual summaries.
    """
    inp = open_inputs(paths, grid)
    vt = vegetation_types(inp["landcover"], classes)
    mask = study_area_mask(units_path, grid) if units_path else None
    mask_d = None if mask is None else chunked_view(mask, vt.chunks)
    mins, maxs, limits = ndvi_limits(inp["ndvi"], vt, params, mask=mask_d, threads=threads)
    lat = latitude(grid, vt.chunks) if params.thornthwaite_correction == "daylength" else None
    monthly = [v for v in MONTHLY_TERMS if v in params.monthly_variables]
    stacked = casa_stacked(inp["ndvi"], inp["temperature"], inp["precipitation"], inp["radiation"], vt,
                           params, mins, maxs, lat=lat, year=year, terms=monthly)
    ds = as_dataset(stacked, monthly)
    area = open_store(paths["cell_area"])["cell_area_m2"].data.rechunk(vt.chunks)
    source, factor = params.sequestration_source_factor()
    seq = (ds[f"annual_{source}"].data * area * (1e-6 * factor)).astype("float32")
    annual = {"npp": ds["annual_npp"].data, "rh": ds["annual_rh"].data, "nep": ds["annual_nep"].data,
              "sequestration": seq}
    descriptions = {
        "npp": ("annual net primary production", "g C m-2 yr-1"),
        "rh": ("annual heterotrophic respiration", "g C m-2 yr-1"),
        "nep": ("annual net ecosystem production (NPP - RH, positive = sink)", "g C m-2 yr-1"),
        "sequestration": (f"annual carbon sequestration as CO2 from {source.upper()} x {factor:.6g} "
                          f"({params.sequestration})", "t CO2 per cell"),
    }
    summary = block_summaries(stacked, vt, seq, params, len(monthly), inp["ndvi"])
    with contextlib.ExitStack() as stack:
        tmp = {k: stack.enter_context(atomic_output(outputs[k])) for k in annual}
        tmp_monthly = stack.enter_context(atomic_output(outputs["monthly"], directory=True))
        create_store(tmp_monthly, grid, {v: {"dtype": "float32", "attrs": dict(ds[v].attrs)} for v in monthly},
                     leading={"month": np.arange(1, 13)},
                     attrs={"year": int(year), "title": f"CASA monthly terms {year}",
                            "ndvi_limits": limits["method"],
                            "ndvi_min": {t: float(mins[k]) for k, t in enumerate(TYPES)},
                            "ndvi_max": {t: float(maxs[k]) for k, t in enumerate(TYPES)}})
        sources, targets, writers = [], [], []
        for v in monthly:
            sources.append(ds[v].data)
            targets.append(zarr.open_array(str(tmp_monthly / v), mode="r+"))
        for k, arr in annual.items():
            desc, units = descriptions[k]
            w = GeoTiffBlockWriter(tmp[k].parent / "stage.tif", grid, tags={"units": units, "year": year,
                                   "long_name": desc}, description=desc)
            writers.append(w)
            sources.append(arr)
            targets.append(w)
        stored = da.store(sources, targets, lock=False, compute=False)
        try:
            _, summ = compute(stored, summary, threads=threads, label=f"CASA {year}")
        finally:
            for w in writers:
                w.close()
        red = _unpack(summ)
        gap_filled = check_gap_filled(red, params, paths["ndvi"], year)
        for k in annual:
            to_cog(tmp[k].parent / "stage.tif", tmp[k], threads=threads)
    return _record(params, limits, red, year, monthly) | {"vegetated_cells_without_ndvi_share_by_month": gap_filled}


def check_gap_filled(red: dict, params: CasaParams, ndvi_path, year: int) -> dict:
    """Share of the vegetated cells without NDVI per month (gap-filled with FPARmin, or nodata);
    above ``casa.max_gap_filled_share`` in any month the run stops naming the month."""
    n = red["n_vegetated"]
    shares = {int(m): float(g / n) if n else 0.0 for m, g in enumerate(red["gaps_by_month"], start=1)}
    bad = {m: v for m, v in shares.items() if v > params.max_gap_filled_share}
    if bad:
        listed = ", ".join(f"month {m:02d}: {100 * v:.1f} %" for m, v in bad.items())
        how = "filled with FPARmin" if params.missing_ndvi_month == "fpar_min" else "left without NPP"
        raise InputError(f"ndvi {year} ({ndvi_path}): vegetated cells without NDVI ({how}) in {listed} of {int(n)} "
                         f"vegetated cells; the limit is casa.max_gap_filled_share = {params.max_gap_filled_share}. "
                         f"A month of the NDVI input is missing or mostly fill values")
    return shares


_NS = len(casa.STATUS)
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
_SLOTS = _slots({"status": _NS, "counters": _NC, "annual_flagged": 1, "npp_sum_by_type": NTYPES,
                 "n_by_type": NTYPES, "nep_sum": 1, "seq_total": 1, "gaps_by_month": 12, "n_vegetated": 1})
_NSUM = _SLOTS["n_vegetated"][1]


def _summarise_block(s, v, q, ndvi, annual_max, a0):
    out = np.zeros(_NSUM + 1)
    status = s[a0 + 4].astype("int64").ravel()
    out[0:_NS] = np.bincount(status, minlength=_NS)[:_NS]
    out[_NS:_NS + _NC] = s[a0 + 5:].reshape(_NC, -1).sum(axis=1, dtype="float64")
    npp = s[a0].astype("float64")
    good = np.isfinite(npp)
    out[_NS + _NC] = int((npp[good] > annual_max).sum())
    k = v[0][good].astype("int64")
    o = _SLOTS["npp_sum_by_type"][0]
    out[o:o + NTYPES] = np.bincount(k, weights=npp[good], minlength=NTYPES)[:NTYPES]
    o = _SLOTS["n_by_type"][0]
    out[o:o + NTYPES] = np.bincount(k, minlength=NTYPES)[:NTYPES]
    out[_SLOTS["nep_sum"][0]] = np.nansum(s[a0 + 2], dtype="float64")
    out[_SLOTS["seq_total"][0]] = np.nansum(q[0], dtype="float64")
    veg = v[0] >= 0
    o = _SLOTS["gaps_by_month"][0]
    out[o:o + 12] = (~np.isfinite(ndvi) & veg[None]).sum(axis=(1, 2))
    out[_SLOTS["n_vegetated"][0]] = veg.sum()
    out[_NSUM] = npp[good].max() if good.any() else -np.inf
    return out[None, None, None]


def block_summaries(stacked: da.Array, vtype, seq, params: CasaParams, n_monthly: int, ndvi) -> da.Array:
    """One summary vector per chunk (counts, sums, max), reduced over chunks; lazy."""
    nb = tuple((1,) * len(c) for c in stacked.chunks[1:])
    nd = _data(ndvi).rechunk({0: 12}).rechunk((12,) + stacked.chunks[1:])
    per_block = da.map_blocks(_summarise_block, stacked, _data(vtype, stacked.chunks[1:])[None], seq[None], nd,
                              float(params.annual_npp_max), 12 * n_monthly, dtype="float64",
                              meta=np.empty((0, 0, 0, 0)),
                              chunks=((1,),) + nb + ((_NSUM + 1,),), new_axis=[3])
    return da.concatenate([per_block[..., :_NSUM].sum(axis=(0, 1, 2)),
                           per_block[..., _NSUM:].max(axis=(0, 1, 2))])


def _unpack(summ: np.ndarray) -> dict:
    red = {k: summ[a:b] for k, (a, b) in _SLOTS.items()}
    for k in ("annual_flagged", "nep_sum", "seq_total", "n_vegetated"):
        red[k] = float(red[k][0])
    red["npp_max"] = float(summ[_NSUM])
    return red


#: precedence of the water-stress edge cases (SPEC §3), as the kernel applies them
W_EPS_EDGE_CASES = ("Ep = 0 (T <= 0 all month, so Ep0 = 0) -> W_eps = 1, and this takes precedence over P = 0: "
                    "a month with P = 0 and Ep0 = 0 gets W_eps = 1 (counted in ep_zero_w_eps_1); "
                    "P = 0 with Ep0 > 0 -> E = 0, W_eps = 0.5 (counted in p_zero)")


def _record(params: CasaParams, limits: dict, red: dict, year: int, monthly: list) -> dict:
    status = {casa.STATUS[k]: int(n) for k, n in enumerate(red["status"])}
    counters = dict(zip(ANNUAL_TERMS[5:], (int(round(float(x))) for x in red["counters"])))
    n_type = red["n_by_type"]
    mean_npp = {t: float(red["npp_sum_by_type"][k] / n_type[k]) for k, t in enumerate(TYPES) if n_type[k] > 0}
    flags = {"monthly_npp_gt_max_cell_months": counters["n_npp_month_flagged"],
             "annual_npp_gt_max_cells": int(red["annual_flagged"]),
             "t_eps1_negative_cells": counters["n_t_eps1_negative"],
             "monthly_npp_max": params.monthly_npp_max, "annual_npp_max": params.annual_npp_max}
    if flags["monthly_npp_gt_max_cell_months"]:
        log.warning("plausibility: %d cell-months with NPP > %g g C m-2 month-1", counters["n_npp_month_flagged"],
                    params.monthly_npp_max)
    if flags["annual_npp_gt_max_cells"]:
        log.warning("plausibility: %d cells with annual NPP > %g g C m-2 yr-1", flags["annual_npp_gt_max_cells"],
                    params.annual_npp_max)
    if counters["n_t_eps1_negative"]:
        log.warning("plausibility: %d cells with Topt outside -24.7..64.7 degC, where T_eps1 < 0%s",
                    counters["n_t_eps1_negative"], " (floored at 0)" if params.t_eps1_floor else
                    " (NPP negative in their months above -10 degC; casa.t_eps1_floor: true floors it)")
    if counters["n_ep_zero_months"]:
        log.info("%d cell-months with Ep = 0 (T <= 0 all month): W_eps = 1", counters["n_ep_zero_months"])
    rec = {
        "year": int(year), "params": params.record(), "ndvi_limits": limits,
        "cells_by_status": status,
        "cell_months": {"t_le_minus10": counters["n_cold_months"], "ep_zero_w_eps_1": counters["n_ep_zero_months"],
                        "p_zero": counters["n_p_zero_months"], "ndvi_missing_filled": counters["n_ndvi_filled_months"]},
        "plausibility": flags,
        "w_eps_edge_cases": W_EPS_EDGE_CASES,
        "mean_annual_npp_g_c_m2_by_type": mean_npp,
        "max_annual_npp_g_c_m2": float(red["npp_max"]) if np.isfinite(red["npp_max"]) else None,
        "sum_annual_nep_g_c_m2_cells": float(red["nep_sum"]),
        "sequestration_total_tco2": float(red["seq_total"]),
        "monthly_variables": monthly,
    }
    log.info("CASA %s: %d cells computed; mean annual NPP by type %s; sequestration %.4g t CO2", year,
             status["computed"], {k: round(v, 1) for k, v in mean_npp.items()}, rec["sequestration_total_tco2"])
    return rec
