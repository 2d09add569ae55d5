"""The ingest stage's alignment (rules ``align_monthly``, ``align_annual``, ``build_grid``):
every raster onto the grid as a chunked Zarr store in canonical units, and the cell areas."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dask
import numpy as np
import rasterio

from carbonbalance.core.blocks import compute
from carbonbalance.core.encoding import packing
from carbonbalance.core.grid import GridSpec
from carbonbalance.core.store import atomic_output, create_store, finalize_store, write_block
from carbonbalance.errors import InputError
from carbonbalance.ingest import regrid
from carbonbalance.ingest.align import align_block, open_sources
from carbonbalance.ingest.checks import distribution_value, merge_stats, validate
from carbonbalance.ingest.params import CLASS_VARIABLES, RasterInput
from carbonbalance.ingest.sources import resolve_sources
from carbonbalance.ingest.units import canonical_unit

log = logging.getLogger(__name__)

#: GDAL's block cache during an alignment (bytes)
GDAL_CACHE_BYTES = 256 * 2**20


def align_variable(
    spec: RasterInput,
    year: int,
    grid: GridSpec,
    out_path,
    threads: int = 1,
    class_codes: Sequence[int] | None = None,
    region=None,
    cache_dir=None,
) -> dict:
    """Align all files of ``spec`` for ``year`` into a chunked Zarr store at ``out_path``.

    The store holds one variable named ``spec.variable`` with dims (month, y, x) for
    monthly inputs and (y, x) otherwise, in canonical units, chunked like the grid.
    Writing is atomic: ``out_path`` appears only after every check passed.

    region : (ny, nx) bool mask of the cells assigned to units (the run's unit assignment);
             the coverage and distribution checks count these cells (None = every cell).
    cache_dir : folder of the regridding weights (:mod:`carbonbalance.ingest.regrid`),
             shared by the run's alignments; None computes them block by block, unstored.

    Returns the provenance record (files, choices, counts) for the run metadata.
    """
    sources = resolve_sources(spec, year, grid)
    is_class = spec.variable in CLASS_VARIABLES
    units = canonical_unit(spec.variable, sources[0]["units"])
    attrs = {
        "units": units,
        "long_name": spec.variable,
        "resampling": spec.resampling,
        "source_files": [s["path"] for s in sources],
        "product": spec.product or "",
    }
    pk = None if is_class else packing(spec.variable)
    variables = {
        spec.variable: {
            "dtype": "int32" if is_class else "float32",
            "fill": -1 if is_class else np.nan,
            "attrs": attrs,
            "packing": pk,
        }
    }
    leading = {"month": np.arange(1, 13)} if spec.monthly else None
    blocks = list(grid.blocks())
    log.info(
        "aligning %s %s: %d file(s) onto %d x %d cells in %d blocks with %d thread(s)",
        spec.variable,
        year,
        len(sources),
        grid.height,
        grid.width,
        len(blocks),
        threads,
    )
    weights = {}
    if not is_class and spec.resampling in regrid.METHODS and cache_dir is not None:
        for s in sources:
            sg = regrid.SourceGrid.of(s)
            key = sg.key(grid)
            if key not in weights:
                weights[key] = regrid.Weights.cached(sg, grid, cache_dir, threads=threads)
    with atomic_output(out_path, directory=True) as tmp:
        create_store(tmp, grid, variables, leading=leading, attrs={"year": int(year)})

        def one_row(row_blocks):
            # one task per row of blocks: the sources stay open across it, so GDAL decodes each
            # source tile once for the neighbouring blocks that share it (and frees it at the end)
            results = []
            with open_sources(spec, sources, year) as readers:
                for rows, cols in row_blocks:
                    data, st = align_block(spec, sources, year, grid, rows, cols, region, weights, readers)
                    results.append((st, write_block(tmp, spec.variable, data if spec.monthly else data[0], rows, cols)))
            return results

        block_rows: dict[int, list] = {}
        for r, c in blocks:
            block_rows.setdefault(r.start, []).append((r, c))
        # GDAL's block cache holds the decoded source tiles that neighbouring blocks share;
        # bounded, so that the job's memory does not grow with the cache's default (5 % of RAM)
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            tasks = compute(
                *[dask.delayed(one_row)(b) for b in block_rows.values()],
                threads=threads,
                label=f"aligning {spec.variable} {year}",
            )
        parts = [p for task in tasks for p in task]
        stats = merge_stats([p[0] for p in parts], len(sources), spec)
        validate(spec, sources, stats, year, class_codes)
        outside = sum(p[1] for p in parts)
        if outside:
            lo, hi = pk.valid_range
            raise InputError(
                f"inputs.{spec.variable} {year} ({sources[0]['path']}): {outside} aligned value(s) lie outside "
                f"[{lo:g}, {hi:g}] {units}, the range of the aligned store's encoding ({pk.dtype} x {pk.scale:g}); "
                f"check the input's units, scale and offset"
            )
        finalize_store(tmp)
    record = {
        "variable": spec.variable,
        "year": int(year),
        "output": str(out_path),
        "product": spec.product,
        "declared_units": sources[0]["units"],
        "units": units,
        "scale": sources[0]["scale"],
        "offset": sources[0]["offset"],
        "fill": sources[0]["fill"],
        "valid_range": sources[0]["valid_range"],
        "decoding_from": sources[0]["origin"],
        "resampling": spec.resampling,
        "sources": sources,
        "n_fill": stats["n_fill"],
        "n_out_of_range": stats["n_out_of_range"],
        "min": [None if not np.isfinite(v) else v for v in stats["min"]],
        "max": [None if not np.isfinite(v) else v for v in stats["max"]],
        "region_cells_without_data": stats["n_region_nodata"],
        "region_cells": stats["n_region"][0],
        "max_nodata_share": spec.max_nodata_share,
    }
    if spec.distribution is not None:
        d = spec.distribution
        record["distribution_check"] = {
            "statistic": d.statistic,
            "value": distribution_value(spec, stats),
            "plausible_range": list(d.plausible),
            "resolution": (d.bins[1] - d.bins[0]) / d.bins[2],
        }
    if is_class:
        record["codes"] = sorted(stats["codes"])
    if spec.resampling == "sum":
        record["total_on_grid"] = stats["total"]
    return record


def write_cell_area(grid: GridSpec, out_path, threads: int = 1) -> dict:
    """Write the ``cell_area_m2`` layer of ``grid`` to a Zarr store, block by block."""
    from carbonbalance.core.grid import cell_area_m2

    attrs = {
        "units": "m2",
        "long_name": "cell area",
        "method": (
            "spherical, R = 6371007 m"
            if grid.pyproj_crs.is_geographic
            else "resolution² / areal scale of the projection"
        ),
    }
    with atomic_output(out_path, directory=True) as tmp:
        create_store(tmp, grid, {"cell_area_m2": {"dtype": "float64", "attrs": attrs}})

        def one(rows, cols):
            a = cell_area_m2(grid, rows, cols)
            write_block(tmp, "cell_area_m2", a, rows, cols)
            return float(a.sum())

        total = sum(compute(*[dask.delayed(one)(r, c) for r, c in grid.blocks()], threads=threads))
        finalize_store(tmp)
    return {"cell_area_method": attrs["method"], "grid_area_km2": total / 1e6}
