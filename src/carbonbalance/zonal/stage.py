"""The layers of one year summarised per finest unit (rule ``zonal``), and their columns.

Every column carries its unit in its name.  Emissions are what the allocation placed in
each unit (its per-unit table, from the same assignment), never re-summed from the grid,
so that every unit with a total gets it back exactly.  Other sums of masses are plain
sums (t CO2, persons); densities (g C m⁻² yr⁻¹) are turned into masses with the cell areas
(t C = Σ f · X · area · 1e-6) and also averaged; NDVI, temperature and precipitation are
averaged over the unit (annual mean NDVI, mean annual temperature, mean annual
precipitation).  Means are kept with their sum and valid-cell count so that coarser
levels recompute them exactly.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carbonbalance.core.assignment import Coverage
from carbonbalance.core.classes import class_lookup, classify
from carbonbalance.zonal.engine import zonal_class_sums, zonal_sums
from carbonbalance.zonal.kernels import month_reduce

log = logging.getLogger(__name__)

#: CASA densities: (file name, column stem)
DENSITIES = ("npp", "rh", "nep")
#: monthly stores averaged per cell over the year: (variable, column stem, how, unit suffix)
CLIMATE = (
    ("ndvi", "ndvi", "mean", ""),
    ("temperature", "temperature", "mean", "_degc"),
    ("precipitation", "precipitation", "sum", "_mm_yr"),
)


def tif_reader(path):
    """``read(rows)`` of band 1 of a GeoTIFF as float64, NaN for nodata (thread-safe: one handle per call)."""
    import rasterio
    from rasterio.windows import Window

    def read(rows):
        with rasterio.open(path) as src:
            a = src.read(1, window=Window(0, rows.start, src.width, rows.stop - rows.start), masked=True)
        return np.ma.filled(a.astype("float64"), np.nan)

    return read


def store_reader(path, var: str, how: str | None = None):
    """``read(rows)`` of an aligned store variable (:class:`~carbonbalance.core.store.StoreReader`);
    monthly ones reduced over the year (``mean`` or ``sum`` of the months with data, NaN
    without any), as float64."""
    from carbonbalance.core.store import StoreReader

    reader = StoreReader(path, var)

    def read(rows):
        a = reader(rows)
        if a.ndim == 3:
            out = np.empty(a.shape[1:], dtype="float64")
            month_reduce(np.ascontiguousarray(a), how == "mean", out)
            return out
        return np.asarray(a, dtype="float64")

    return read


def emission_columns(path, unit_ids: list[str], year: int, prefix: str = "emissions_") -> dict:
    """{column: values in the order of ``unit_ids``} of a per-unit table of the emissions stage
    (the allocation's ``emissions_*`` columns, or the inventory's ``inventory_tco2``)."""
    from carbonbalance.errors import InputError

    t = pd.read_parquet(path)
    t = t[t["year"] == int(year)].set_index(t["unit_id"].astype(str))
    missing = sorted(set(unit_ids) - set(t.index))
    if missing:
        raise InputError(f"{path}: no values for unit(s) {missing[:10]} in {year}; rerun the rule that wrote it")
    return {c: t.loc[unit_ids, c].to_numpy(dtype="float64") for c in t.columns if c.startswith(prefix)}


def mean_columns(stems: list[tuple[str, str]]) -> dict:
    """{mean column: (sum column, count column)} of the averaged layers, from (stem, unit suffix)."""
    return {f"{s}_mean{u}": (f"{s}_cellsum{u}", f"{s}_n_cells") for s, u in stems}


def means_of(columns) -> dict:
    """:func:`mean_columns` recovered from a table's ``<stem>_cellsum<unit>`` columns."""
    stems = []
    for c in columns:
        if "_cellsum" in c:
            stem, unit = c.split("_cellsum", 1)
            stems.append((stem, unit))
    return mean_columns(stems)


def zonal_year(
    cov: Coverage, paths: dict, year: int, mode: str = "exact", landuse_codes=None, threads: int = 1
) -> tuple[pd.DataFrame, dict]:
    """One row per finest unit with every statistic of ``year``; returns (table, mean columns).

    paths : {"area": cell-area store, "emissions": the emissions rule's per-unit table,
             "npp", "rh", "nep": the CASA COGs, "sequestration": tif, "nightlight", "population",
             "landuse": stores, "ndvi", "temperature", "precipitation": monthly stores,
             "npp_product": an aligned NPP product store, "inventory": the inventory's per-unit
             table}; missing keys are skipped
    """
    out = {"unit_id": cov.unit_ids, "year": int(year)}
    area = store_reader(paths["area"], "cell_area_m2")

    def put_sum(col, reader, weight=None, scale=1.0):
        s, c = zonal_sums(cov, reader, mode, weight=weight, threads=threads)
        out[col] = s * scale
        return s, c

    s, c = put_sum("area_km2", area, scale=1e-6)
    out["n_cells"] = c
    if paths.get("emissions"):
        for col, values in emission_columns(paths["emissions"], cov.unit_ids, year).items():
            out[col] = values
    if paths.get("inventory"):
        out |= emission_columns(paths["inventory"], cov.unit_ids, year, prefix="inventory_")
    if "sequestration" in paths:
        put_sum("sequestration_tco2", tif_reader(paths["sequestration"]))
    stems = []
    for stem in (d for d in DENSITIES if d in paths):
        reader = tif_reader(paths[stem])
        put_sum(f"{stem}_tc", reader, weight=area, scale=1e-6)
        s, c = zonal_sums(cov, reader, mode, threads=threads)
        out[f"{stem}_cellsum_gc_m2"], out[f"{stem}_n_cells"] = s, c
        stems.append((stem, "_gc_m2"))
    if "npp_product" in paths:  # an NPP product (g C m-2 yr-1): mass and mean, like the CASA densities
        reader = store_reader(paths["npp_product"], "npp")
        put_sum("npp_product_tc", reader, weight=area, scale=1e-6)
        s, c = zonal_sums(cov, reader, mode, threads=threads)
        out["npp_product_cellsum_gc_m2"], out["npp_product_n_cells"] = s, c
        stems.append(("npp_product", "_gc_m2"))
    if "nightlight" in paths:
        put_sum("nightlight_sum_nw_cm2_sr", store_reader(paths["nightlight"], "nightlight"))
    if "population" in paths:
        put_sum("population_persons", store_reader(paths["population"], "population"))
    for var, stem, how, unit in CLIMATE:
        if var in paths:
            s, c = zonal_sums(cov, store_reader(paths[var], var, how), mode, threads=threads)
            out[f"{stem}_cellsum{unit}"], out[f"{stem}_n_cells"] = s, c
            stems.append((stem, unit))
    if "landuse" in paths and landuse_codes is not None:
        names = [str(c) for c in sorted(int(c) for c in landuse_codes)]
        codes, idx = class_lookup({c: c for c in names}, names, "landuse_classes")
        lu = store_reader(paths["landuse"], "landuse")

        def classes(rows):  # a code missing from landuse_classes is an error, no data is -1
            c = classify(lu(rows), codes, idx, "landuse", "landuse_classes")
            c[c < 0] = -1
            return c

        by_class = zonal_class_sums(cov, classes, area, len(names), mode, threads=threads)
        for k, name in enumerate(names):
            out[f"landuse_{name}_km2"] = by_class[:, k] * 1e-6
    table = pd.DataFrame(out)
    means = mean_columns(stems)
    for mcol, (scol, ccol) in means.items():
        table[mcol] = np.where(table[ccol] > 0, table[scol] / table[ccol].where(table[ccol] > 0), np.nan)
    return table, means
