"""The CASA stage (rule ``casa``): one year from the aligned stores to the annual COGs,
the monthly Zarr store and the provenance record."""

from __future__ import annotations

import contextlib
import logging

import numpy as np
import xarray as xr

from carbonbalance.casa.engine import (
    as_dataset,
    block_summaries,
    casa_member_terms,
    casa_stacked,
    latitude,
    member_eps,
    members_block,
    ndvi_limits,
    study_area_mask,
    unpack,
    vegetation_types,
)
from carbonbalance.casa.params import ANNUAL_TERMS, MONTHLY_TERMS, STATUS, TYPES, CasaParams
from carbonbalance.core.blocks import chunked_view, store
from carbonbalance.core.constants import MONTHLY
from carbonbalance.core.encoding import packing
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import (
    GeoTiffBlockWriter,
    atomic_output,
    create_store,
    open_store,
    packed_target,
    to_cog,
)
from carbonbalance.errors import InputError

log = logging.getLogger(__name__)

EXPECTED_UNITS = {"ndvi": "1", "temperature": "degC", "precipitation": "mm month-1", "radiation": "MJ m-2 month-1"}


def _check_units(ds: xr.Dataset, var: str, path) -> None:
    units = ds[var].attrs.get("units")
    if units != EXPECTED_UNITS[var]:
        raise InputError(f"{path}: variable {var!r} has units {units!r}, CASA needs {EXPECTED_UNITS[var]!r}")
    if ds[var].sizes.get("month") != 12:
        raise InputError(f"{path}: variable {var!r} must hold 12 months")


def open_inputs(paths: dict, grid: GridSpec) -> dict:
    """Open the aligned stores, check variable, units and grid shape; rechunk to the grid chunk."""
    arrays = {}
    for var in MONTHLY + ("landcover",):
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


def run_casa_year(
    paths: dict,
    grid: GridSpec,
    params: CasaParams,
    classes: dict,
    year: int,
    outputs: dict,
    units_path=None,
    threads: int = 1,
) -> dict:
    """Compute CASA for one year from the aligned stores and write every output atomically.

    paths : {"ndvi", "temperature", "precipitation", "radiation", "landcover", "cell_area": store path}
    outputs : {"npp", "rh", "nep", "sequestration": COG path, "monthly": Zarr path}
    units_path : boundaries (grid CRS) delimiting the study area of the NDVI percentiles
                 (None = the whole grid)

    Returns the provenance record: NDVI limits, counts by status, stress counters,
    plausibility flags and annual summaries.
    """
    inp, vt, mask_d, (mins, maxs, limits), lat = _prepare(paths, grid, params, classes, units_path, threads)
    monthly = [v for v in MONTHLY_TERMS if v in params.monthly_variables]
    stacked = casa_stacked(
        inp["ndvi"],
        inp["temperature"],
        inp["precipitation"],
        inp["radiation"],
        vt,
        params,
        mins,
        maxs,
        lat=lat,
        year=year,
        terms=monthly,
    )
    ds = as_dataset(stacked, monthly)
    area = open_store(paths["cell_area"])["cell_area_m2"].data.rechunk(vt.chunks)
    source, factor = params.sequestration_source_factor()
    seq = (ds[f"annual_{source}"].data * area * (1e-6 * factor)).astype("float32")
    annual = {
        "npp": ds["annual_npp"].data,
        "rh": ds["annual_rh"].data,
        "nep": ds["annual_nep"].data,
        "sequestration": seq,
    }
    descriptions = annual_descriptions(params)
    summary = block_summaries(stacked, vt, seq, params, len(monthly), inp["ndvi"], region=mask_d)
    with contextlib.ExitStack() as stack:
        tmp = {k: stack.enter_context(atomic_output(outputs[k])) for k in annual}
        tmp_monthly = stack.enter_context(atomic_output(outputs["monthly"], directory=True))
        create_store(
            tmp_monthly,
            grid,
            {
                v: {"dtype": "float32", "attrs": dict(ds[v].attrs), "packing": packing(v, "casa_monthly")}
                for v in monthly
            },
            leading={"month": np.arange(1, 13)},
            attrs={
                "year": int(year),
                "title": f"CASA monthly terms {year}",
                "ndvi_limits": limits["method"],
                "ndvi_min": {t: float(mins[k]) for k, t in enumerate(TYPES)},
                "ndvi_max": {t: float(maxs[k]) for k, t in enumerate(TYPES)},
            },
        )
        sources, targets, writers = [], [], []
        for v in monthly:
            sources.append(ds[v].data)
            targets.append(packed_target(tmp_monthly, v))
        for k, arr in annual.items():
            writers.append(_annual_writer(tmp[k], grid, descriptions[k], year))
            sources.append(arr)
            targets.append(writers[-1])
        try:
            (summ,) = store(sources, targets, summary, threads=threads, label=f"CASA {year}")
        finally:
            for w in writers:
                w.close()
        for t in targets[: len(monthly)]:
            t.check(f"CASA {year} monthly terms")
        red = unpack(summ)
        gap_filled = check_gap_filled(red, params, paths["ndvi"], year)
        for k in annual:
            to_cog(tmp[k].parent / "stage.tif", tmp[k], threads=threads)
    return _record(params, limits, red, year, monthly) | {"vegetated_cells_without_ndvi_share_by_month": gap_filled}


def _prepare(paths: dict, grid: GridSpec, params: CasaParams, classes: dict, units_path, threads: int):
    """Inputs, type map, study area, the year's NDVI limits and latitudes (shared by every CASA run)."""
    inp = open_inputs(paths, grid)
    vt = vegetation_types(inp["landcover"], classes)
    mask = study_area_mask(units_path, grid) if units_path else None
    mask_d = None if mask is None else chunked_view(mask, vt.chunks)
    limits = ndvi_limits(inp["ndvi"], vt, params, mask=mask_d, threads=threads)
    lat = latitude(grid, vt.chunks) if params.thornthwaite_correction == "daylength" else None
    return inp, vt, mask_d, limits, lat


def annual_descriptions(params: CasaParams) -> dict:
    """(long name, units) of the annual outputs."""
    source, factor = params.sequestration_source_factor()
    return {
        "npp": ("annual net primary production", "g C m-2 yr-1"),
        "rh": ("annual heterotrophic respiration", "g C m-2 yr-1"),
        "nep": ("annual net ecosystem production (NPP - RH, positive = sink)", "g C m-2 yr-1"),
        "sequestration": (
            f"annual carbon sequestration as CO2 from {source.upper()} x {factor:.6g} ({params.sequestration})",
            "t CO2 per cell",
        ),
    }


def _annual_writer(tmp, grid: GridSpec, description: tuple, year: int, staging: bool = True) -> GeoTiffBlockWriter:
    """The writer of an annual layer: a staging file beside ``tmp`` (made a COG), or ``tmp``
    itself, an ensemble member's raster, of which hundreds are open at once: zstd level 1 (1.5
    MB of zstd context a writer against 12 MB at GDAL's default level) with the floating-point
    predictor (a file 11 % smaller on the national grid)."""
    desc, units = description
    tags = {"units": units, "year": year, "long_name": desc}
    if staging:
        return GeoTiffBlockWriter(tmp.parent / "stage.tif", grid, tags=tags, description=desc)
    return GeoTiffBlockWriter(tmp, grid, tags=tags, description=desc, predictor=3)


#: members applied to a chunk's shared terms at a time (memory: 12 bytes a cell a member)
MEMBERS_AT_ONCE = 8


def run_casa_members(
    paths: dict,
    grid: GridSpec,
    params: CasaParams,
    classes: dict,
    year: int,
    members: dict,
    outputs: dict,
    units_path=None,
    threads: int = 1,
) -> dict:
    """Annual NPP, RH, NEP and sequestration of a batch of members that differ from ``params``
    only in εmax (ensemble draws; SPEC §9), in one pass over the aligned stores.

    members : {name: {type: εmax}} (a type left out keeps ``params.eps_max``)
    outputs : {name: {"npp", "rh", "nep", "sequestration": GeoTIFF path}}, any of the four (RH
              does not depend on εmax: the run's own RH serves every member)

    Chunk by chunk on ``threads`` threads: the chunk is read and run through the kernel once
    (:func:`~carbonbalance.casa.engine.casa_member_terms`), the members' εmax are applied
    :data:`MEMBERS_AT_ONCE` at a time (:func:`~carbonbalance.casa.engine.members_block`) and
    their windows written, so memory holds ``threads`` chunks of shared terms and of that many
    members whatever the number of members, never a member's whole grid. The members' rasters
    are tiled, compressed GeoTIFFs without overviews (only the zonal statistics read them) and
    equal those of :func:`run_casa_year` with the member's εmax bit for bit. Returns
    {"ndvi_limits", "members": {name: {"eps_max", "sequestration_total_tco2"}}}.
    """
    import concurrent.futures
    import itertools
    import time

    names = list(members)
    eps = member_eps([[members[n].get(t, params.eps_max[t]) for t in TYPES] for n in names])
    inp, vt, _, (mins, maxs, limits), lat = _prepare(paths, grid, params, classes, units_path, threads)
    terms = casa_member_terms(
        inp["ndvi"], inp["temperature"], inp["precipitation"], inp["radiation"], vt, params, mins, maxs,
        lat=lat, year=year,
    )  # fmt: skip
    vtb = vt.rechunk(terms.chunks[1:])
    area = open_store(paths["cell_area"])["cell_area_m2"].data.rechunk(terms.chunks[1:])
    source, factor = params.sequestration_source_factor()
    descriptions = annual_descriptions(params)
    edges = [np.cumsum((0,) + c) for c in terms.chunks[1:]]
    blocks = list(itertools.product(range(len(edges[0]) - 1), range(len(edges[1]) - 1)))
    keys = [(n, k) for n in names for k in outputs[n]]

    def one(index):
        iy, ix = index
        t = terms.blocks[:, iy, ix].compute(scheduler="synchronous")  # shared by every member
        v = np.asarray(vtb.blocks[iy, ix].compute(scheduler="synchronous"))[None]
        a = np.asarray(area.blocks[iy, ix].compute(scheduler="synchronous"))
        rows, cols = slice(edges[0][iy], edges[0][iy + 1]), slice(edges[1][ix], edges[1][ix + 1])
        totals = np.zeros(len(names))
        for g0 in range(0, len(names), MEMBERS_AT_ONCE):
            block = members_block(t, v, eps=eps[g0 : g0 + MEMBERS_AT_ONCE])  # (members, 3, rows, cols)
            for b, name in enumerate(names[g0 : g0 + MEMBERS_AT_ONCE]):
                annual = {"npp": block[b, 0], "rh": block[b, 1], "nep": block[b, 2]}
                annual["sequestration"] = (annual[source] * a * (1e-6 * factor)).astype("float32")
                totals[g0 + b] = np.nansum(annual["sequestration"], dtype="float64")
                for k in outputs[name]:
                    writers[(name, k)][rows, cols] = annual[k]
        return totals

    t0 = time.perf_counter()
    seq = np.zeros(len(names))
    with contextlib.ExitStack() as stack:
        tmp = {key: stack.enter_context(atomic_output(outputs[key[0]][key[1]])) for key in keys}
        writers = {key: _annual_writer(tmp[key], grid, descriptions[key[1]], year, staging=False) for key in keys}
        try:
            with concurrent.futures.ThreadPoolExecutor(max(1, int(threads))) as pool:
                step = max(1, len(blocks) // 10)
                for done, totals in enumerate(pool.map(one, blocks), start=1):
                    seq += totals
                    if done % step == 0 or done == len(blocks):
                        log.info("CASA %d, %d members: %3.0f %% of %d chunks, %.1f s", year, len(names),
                                 100 * done / len(blocks), len(blocks), time.perf_counter() - t0)  # fmt: skip
        finally:
            for w in writers.values():
                w.close()
    out = {n: {"eps_max": dict(zip(TYPES, eps[b].tolist())), "sequestration_total_tco2": float(seq[b])}
           for b, n in enumerate(names)}  # fmt: skip
    log.info("CASA %d: %d members in one pass; sequestration %.4g .. %.4g t CO2", year, len(names),
             min(v["sequestration_total_tco2"] for v in out.values()),
             max(v["sequestration_total_tco2"] for v in out.values()))  # fmt: skip
    return {"ndvi_limits": limits, "members": out}


def check_gap_filled(red: dict, params: CasaParams, ndvi_path, year: int) -> dict:
    """Share of the vegetated cells without NDVI per month (gap-filled with FPARmin, or nodata);
    above ``casa.max_gap_filled_share`` in any month the run stops naming the month."""
    n = red["n_vegetated"]
    shares = {int(m): float(g / n) if n else 0.0 for m, g in enumerate(red["gaps_by_month"], start=1)}
    bad = {m: v for m, v in shares.items() if v > params.max_gap_filled_share}
    if bad:
        listed = ", ".join(f"month {m:02d}: {100 * v:.1f} %" for m, v in bad.items())
        how = "filled with FPARmin" if params.missing_ndvi_month == "fpar_min" else "left without NPP"
        raise InputError(
            f"ndvi {year} ({ndvi_path}): vegetated cells without NDVI ({how}) in {listed} of {int(n)} "
            f"vegetated cells; the limit is casa.max_gap_filled_share = {params.max_gap_filled_share}. "
            f"A month of the NDVI input is missing or mostly fill values"
        )
    return shares


#: precedence of the water-stress edge cases (SPEC §3), as the kernel applies them
W_EPS_EDGE_CASES = (
    "Ep = 0 (T <= 0 all month, so Ep0 = 0) -> W_eps = 1, and this takes precedence over P = 0: "
    "a month with P = 0 and Ep0 = 0 gets W_eps = 1 (counted in ep_zero_w_eps_1); "
    "P = 0 with Ep0 > 0 -> E = 0, W_eps = 0.5 (counted in p_zero)"
)


def _record(params: CasaParams, limits: dict, red: dict, year: int, monthly: list) -> dict:
    status = {STATUS[k]: int(n) for k, n in enumerate(red["status"])}
    counters = dict(zip(ANNUAL_TERMS[5:], (int(round(float(x))) for x in red["counters"])))
    n_type = red["n_by_type"]
    mean_npp = {t: float(red["npp_sum_by_type"][k] / n_type[k]) for k, t in enumerate(TYPES) if n_type[k] > 0}
    flags = {
        "monthly_npp_gt_max_cell_months": counters["n_npp_month_flagged"],
        "annual_npp_gt_max_cells": int(red["annual_flagged"]),
        "t_eps1_negative_cells": counters["n_t_eps1_negative"],
        "monthly_npp_max": params.monthly_npp_max,
        "annual_npp_max": params.annual_npp_max,
    }
    if flags["monthly_npp_gt_max_cell_months"]:
        log.warning(
            "plausibility: %d cell-months with NPP > %g g C m-2 month-1",
            counters["n_npp_month_flagged"],
            params.monthly_npp_max,
        )
    if flags["annual_npp_gt_max_cells"]:
        log.warning(
            "plausibility: %d cells with annual NPP > %g g C m-2 yr-1",
            flags["annual_npp_gt_max_cells"],
            params.annual_npp_max,
        )
    if counters["n_t_eps1_negative"]:
        log.warning(
            "plausibility: %d cells with Topt outside -24.7..64.7 degC, where T_eps1 < 0%s",
            counters["n_t_eps1_negative"],
            " (floored at 0)"
            if params.t_eps1_floor
            else " (NPP negative in their months above -10 degC; casa.t_eps1_floor: true floors it)",
        )
    if counters["n_ep_zero_months"]:
        log.info("%d cell-months with Ep = 0 (T <= 0 all month): W_eps = 1", counters["n_ep_zero_months"])
    rec = {
        "year": int(year),
        "params": params.record(),
        "ndvi_limits": limits,
        "cells_by_status": status,
        "cell_months": {
            "t_le_minus10": counters["n_cold_months"],
            "ep_zero_w_eps_1": counters["n_ep_zero_months"],
            "p_zero": counters["n_p_zero_months"],
            "ndvi_missing_filled": counters["n_ndvi_filled_months"],
        },
        "plausibility": flags,
        "w_eps_edge_cases": W_EPS_EDGE_CASES,
        "mean_annual_npp_g_c_m2_by_type": mean_npp,
        "max_annual_npp_g_c_m2": float(red["npp_max"]) if np.isfinite(red["npp_max"]) else None,
        "sum_annual_nep_g_c_m2_cells": float(red["nep_sum"]),
        "sequestration_total_tco2": float(red["seq_total"]),
        "monthly_variables": monthly,
    }
    log.info(
        "CASA %s: %d cells computed; mean annual NPP by type %s; sequestration %.4g t CO2",
        year,
        status["computed"],
        {k: round(v, 1) for k, v in mean_npp.items()},
        rec["sequestration_total_tco2"],
    )
    return rec
