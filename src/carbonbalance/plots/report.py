"""The key tables of a run as HTML pages for ``snakemake --report`` (which shows HTML in its
viewer and offers other files only as downloads).

Every column header carries the readable name and units of :mod:`carbonbalance.plots.labels`
with the column's name in the CSV below it, so that a reader can find the number in the
results.  Large masses are printed with thousands separators, small numbers with four
significant digits.  Pure pandas: no figure is drawn here.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from carbonbalance.plots.labels import LABELS, VARIABLES, expression_label, pretty_units

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 13px; margin: 1em 1.5em; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 1.6em; }
p.note { color: #444; max-width: 60em; }
div.wrap { overflow-x: auto; max-height: 34em; overflow-y: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #e2e2e2; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; position: sticky; top: 0; vertical-align: bottom; font-weight: 600; }
th code { display: block; font-weight: normal; font-size: 10px; color: #666; }
td.text, th.text { text-align: left; }
tr:hover td { background: #fafae0; }
"""

#: columns of the tables that :data:`LABELS` does not hold, as a reader calls them
TABLE_LABELS = {
    "unit_id": ("unit id", ""),
    "name": ("name", ""),
    "year": ("year", ""),
    "year_0": ("from", ""),
    "year_t": ("to", ""),
    "units": ("units", ""),
    "variable": ("variable", ""),
    "class": ("class", ""),
    "zone": ("zone", ""),
    "scheme": ("zoning scheme", ""),
    "note": ("note", ""),
    "reason": ("reason", ""),
    "group": ("group", ""),
    "covariate": ("covariate", ""),
    "term": ("term", ""),
    "run": ("model run", ""),
    "model": ("model", ""),
    "test": ("test", ""),
    "p_value": ("p-value", ""),
    "I": ("Moran's I", ""),
    "z_norm": ("z (normality)", ""),
    "p_norm": ("p (normality)", ""),
    "p_sim": ("p (permutations)", ""),
    "total": ("Gini", ""),
    "within": ("within groups", ""),
    "between": ("net between groups", ""),
    "transvariation": ("transvariation", ""),
    "gini_within_group": ("Gini within the group", ""),
    "share_significant": ("share of units with p < 0.05", ""),
    "bandwidth": ("bandwidth", ""),
    "enp": ("effective number of parameters", ""),
    "sequestration_tco2": ("carbon sequestration", "t CO2"),
    "total_tco2": ("statistical total", "t CO2"),
    "allocated_tco2": ("allocated to cells", "t CO2"),
    "area_km2": ("area", "km2"),
    "n_cells": ("cells", ""),
    "emissions_tco2": ("CO2 emissions", "t CO2"),
    "population_persons": ("population", "persons"),
    "nightlight_sum_nw_cm2_sr": ("night light, summed", "nW cm-2 sr-1"),
    "urban_tco2": ("urban", "t CO2"),
    "industrial_tco2": ("industrial", "t CO2"),
    "rural_tco2": ("rural", "t CO2"),
    "max_annual_npp_g_c_m2": ("largest annual NPP", "g C m-2 yr-1"),
    "declared_units": ("declared units", ""),
    "plausible_low": ("plausible from", ""),
    "plausible_high": ("plausible to", ""),
    "max_share_without_data": ("largest monthly share of cells without data", ""),
    "max_nodata_share": ("limit", ""),
    # ensembles
    "zone_baseline": ("baseline zone", ""),
    "zone_modal": ("most frequent zone", ""),
    "modal_share": ("share of members in the most frequent zone", ""),
    "agreement": ("share of members in the baseline zone", ""),
    "members": ("members", ""),
    "switch": ("switch", ""),
    "kind": ("kind", ""),
    "changes": ("what it changes", ""),
    "zones_changed": ("unit-years whose zone changes", ""),
    "unit_years": ("unit-years", ""),
    "share_changed": ("share of unit-years whose zone changes", ""),
    "rank": ("rank", ""),
    "statistic": ("statistic", ""),
    "baseline": ("baseline", ""),
    "median": ("median", ""),
    "min": ("smallest", ""),
    "max": ("largest", ""),
    "moran_i": ("global Moran's I", ""),
    "gini": ("Dagum Gini", ""),
    "gini_within": ("within groups", ""),
    "gini_between": ("net between groups", ""),
    "gini_transvariation": ("transvariation", ""),
    "member": ("member", ""),
    "overrides": ("config overrides", ""),
    "stages": ("stages rerun", ""),
}

#: ensemble columns: a quantity and what the members say of it
_ENSEMBLE_COLUMN = re.compile(r"^(.+)_(baseline|median|p\d+(?:\.\d+)?|members|change_pct)$")
_ENSEMBLE_PART = {"baseline": "baseline", "median": "median of the members", "members": "members with a value",
                  "change_pct": "median change, %"}  # fmt: skip


def column_label(column: str) -> str:
    """The readable name (and units) of a table column; model terms as :func:`expression_label`."""
    for table in (LABELS, TABLE_LABELS):
        if column in table:
            name, units = table[column]
            return f"{pretty_units(name)} ({pretty_units(units)})" if units else pretty_units(name)
    m = _ENSEMBLE_COLUMN.match(column)
    if m and (m.group(1) in LABELS or m.group(1) in TABLE_LABELS):
        part = _ENSEMBLE_PART.get(m.group(2)) or f"{m.group(2)[1:]}th percentile"
        return f"{column_label(m.group(1))}: {part}"
    if column.endswith("_pct"):
        return f"{column_label(column.removesuffix('_pct'))} (% of the Gini)"
    if column.startswith("zone_"):
        return f"zone ({column.removeprefix('zone_')})"
    if column in VARIABLES:
        return VARIABLES[column]
    return expression_label(column)


#: columns whose values are column names or model terms, shown by their readable names
NAMED_VALUES = ("covariate", "term", "variable")


def _cell(value, column: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):  # ids and years as they are, counts with separators
        return str(int(value)) if column.endswith("id") or column.startswith("year") else f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    if column in NAMED_VALUES:  # model terms and variables as a reader calls them
        return html.escape(expression_label(str(value)))
    return html.escape(pretty_units(str(value)))  # units in text: m⁻², CO₂, °C


def html_table(frame: pd.DataFrame, max_rows: int | None = None) -> str:
    """``frame`` as an HTML table with readable headers (the CSV column below each)."""
    shown = frame if max_rows is None else frame.head(max_rows)
    text_cols = {c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c])}
    head = "".join(
        f"<th{' class=text' if c in text_cols else ''}>{html.escape(column_label(str(c)))}"
        f"<code>{html.escape(str(c))}</code></th>"
        for c in shown.columns
    )
    rows = []
    for record in shown.itertuples(index=False, name=None):
        cells = "".join(
            f'<td class="text">{_cell(v, str(c))}</td>' if c in text_cols else f"<td>{_cell(v, str(c))}</td>"
            for c, v in zip(shown.columns, record)
        )
        rows.append(f"<tr>{cells}</tr>")
    more = "" if len(shown) == len(frame) else f"<p class='note'>First {len(shown)} of {len(frame):,} rows.</p>"
    return f"<div class='wrap'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}"


def html_page(title: str, intro: str, sections: list[tuple[str, pd.DataFrame, str]]) -> str:
    """A self-contained HTML page: ``title``, an ``intro`` paragraph and, per section, a
    heading, a note and the table."""
    body = [f"<h1>{html.escape(title)}</h1>", f"<p class='note'>{html.escape(intro)}</p>"]
    for heading, frame, note in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if note:
            body.append(f"<p class='note'>{html.escape(note)}</p>")
        body.append(html_table(frame) if len(frame) else "<p class='note'>No rows.</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>"
    )


def last_year_units(table: pd.DataFrame, columns: list[str], by: str) -> tuple[int, pd.DataFrame]:
    """(the last year, its rows with those of ``columns`` the table has, largest ``by`` first):
    the "every unit in the last year" section of a page."""
    last = int(table["year"].max())
    rows = table[table["year"] == last][[c for c in columns if c in table.columns]]
    return last, rows.sort_values(by, ascending=False)


def region_totals(budget: pd.DataFrame, suffix: str = "tco2") -> pd.DataFrame:
    """Per year: the units, the sums of CE, CS and CB and the region's CBI = ΣCE / ΣCS."""
    ce, cs, cb = (f"{q}_{suffix}" for q in ("ce", "cs", "cb"))
    out = budget.groupby("year").agg(units=("unit_id", "size"), **{c: (c, "sum") for c in (ce, cs, cb)}).reset_index()
    out["cbi"] = out[ce] / out[cs].where(out[cs] > 0)
    return out


def zone_counts(budget: pd.DataFrame) -> pd.DataFrame:
    """Units per zone of every scheme, one column per year."""
    parts = []
    for col in [c for c in budget.columns if c.startswith("zone_")]:
        counts = budget.groupby(["year", col]).size().unstack("year", fill_value=0)
        counts.columns = [str(c) for c in counts.columns]
        parts.append(counts.rename_axis("zone").reset_index().assign(scheme=col.removeprefix("zone_")))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["scheme", "zone", *[c for c in out.columns if c not in ("scheme", "zone")]]]


def budget_page(budget: pd.DataFrame, level: str, suffix: str = "tco2") -> str:
    """The budget of a level: region totals per year, zones per scheme and year, and every
    unit's budget, indices and zones in the last year (largest CE first)."""
    keep = ["unit_id", "name", f"ce_{suffix}", f"cs_{suffix}", f"cb_{suffix}", "cbi", "ecc", "esc"]
    keep += [c for c in budget.columns if c.startswith("zone_")] + ["note"]
    last, units = last_year_units(budget, keep, f"ce_{suffix}")
    return html_page(
        f"Carbon budget by {level}",
        f"From tables/budget_{level}.csv (every year and column there). CB = CE − CS; CBI = CE / CS; "
        "ECC and ESC relative to the reference region (SPEC §6).",
        [
            ("The whole region per year", region_totals(budget, suffix), "Sums over the units; CBI of the sums."),
            ("Zones: units per zone and year", zone_counts(budget), ""),
            (f"Every {level} in {last}", units, "Largest emitters first; the note says why an index is missing."),
        ],
    )


def compensation_page(compensation: pd.DataFrame, level: str) -> str:
    """Compensation classes per year (units and the sum of M) and every unit in the last year."""
    summary = (
        compensation.groupby(["year", "class"])
        .agg(units=("unit_id", "size"), m_1e4yuan=("m_1e4yuan", "sum"))
        .reset_index()
    )
    cols = ["unit_id", "name", "class", "m_1e4yuan", "l_revised_tco2", "gamma", "k", "reason"]
    last, units = last_year_units(compensation, cols, "m_1e4yuan")
    return html_page(
        f"Carbon compensation by {level}",
        f"From tables/compensation_{level}.csv (Jiangxi2024 after Zhao et al. 2016, reconstructed). "
        "M > 0: the unit pays; M < 0: it receives.",
        [
            ("Classes per year", summary, "Units and the sum of M (10⁴ yuan) per class."),
            (f"Every {level} in {last}", units, ""),
        ],
    )


def lmdi_page(lmdi: pd.DataFrame, level: str) -> str:
    """The LMDI decomposition of ΔQ per period: the region first, then every unit."""
    region = lmdi[lmdi["unit_id"].astype(str) == "region"]
    units = lmdi[lmdi["unit_id"].astype(str) != "region"].sort_values(["year_0", "year_t", "dq"])
    cols = ["year_0", "year_t", "unit_id", "name", "q0", "qT", "dq", "technology_effect", "economic_level_effect",
            "urbanisation_effect", "fixation_pressure_effect", "reason"]  # fmt: skip
    return html_page(
        f"LMDI decomposition of Q = CE / CS by {level}",
        f"From tables/lmdi_{level}.csv (Peng2023; additive LMDI-I). The four effects add up to ΔQ.",
        [
            ("The whole region", region[[c for c in cols if c in region.columns]], ""),
            (f"Every {level}", units[[c for c in cols if c in units.columns]], "Sorted by ΔQ within each period."),
        ],
    )


def spatial_page(moran: pd.DataFrame, lisa: pd.DataFrame, dagum: pd.DataFrame, groups: pd.DataFrame, level: str) -> str:
    """Global Moran's I, LISA cluster counts, the Dagum decomposition and the Gini within each
    group, per variable and year."""
    clusters = (
        lisa.groupby(["variable", "year", "cluster"]).size().unstack("cluster", fill_value=0).reset_index()
        if len(lisa)
        else pd.DataFrame()
    )
    clusters.columns = [str(c) for c in clusters.columns]
    moran_cols = ["variable", "year", "I", "expected", "z_norm", "p_norm", "p_sim"]
    within = (
        groups.pivot_table(index=["variable", "group"], columns="year", values="gini_within_group").reset_index()
        if len(groups)
        else pd.DataFrame()
    )
    within.columns = [str(c) for c in within.columns]
    return html_page(
        f"Spatial autocorrelation and inequality by {level}",
        f"From analysis/{level}/moran.csv, lisa.csv, dagum.csv and dagum_groups.csv (SPEC §7).",
        [
            ("Global Moran's I", moran[[c for c in moran_cols if c in moran.columns]], ""),
            ("LISA clusters: units per cluster (ns = not significant)", clusters, ""),
            ("Dagum Gini decomposition", dagum, "within + net between + transvariation = Gini."),
            ("Gini within each group, per year", within, ""),
        ],
    )


def sdm_page(
    coefficients: pd.DataFrame, effects: pd.DataFrame, tests: pd.DataFrame, fit: pd.DataFrame, level: str
) -> str:
    """The spatial Durbin panel model: effects with their inference, specification tests, fit
    and the coefficients of every model."""
    eff_cols = ["covariate", "direct", "direct_se", "direct_p", "indirect", "indirect_se", "indirect_p", "total",
                "total_se", "total_p"]  # fmt: skip
    return html_page(
        f"Spatial econometrics by {level}",
        f"From analysis/sdm_{level}.csv, sdm_effects_{level}.csv, sdm_tests_{level}.csv and sdm_fit_{level}.csv.",
        [
            ("Direct, indirect and total effects", effects[[c for c in eff_cols if c in effects.columns]],
             "Standard errors from simulated draws of the parameters (LeSage and Pace)."),
            ("Specification tests", tests, "LM tests of the OLS residuals; Wald and LR tests of the SDM."),
            ("Fit of each model", fit, ""),
            ("Coefficients", coefficients, ""),
        ],
    )  # fmt: skip


def mgwr_page(summary: pd.DataFrame, level: str, year: int) -> str:
    """The MGWR summary of one year: per covariate its bandwidth and the spread of its local
    coefficients, and the fit."""
    cols = ["covariate", "bandwidth", "mean", "std", "min", "median", "max", "enp", "share_significant"]
    fit = summary[["n_units", "aicc", "r2", "adj_r2", "bandwidth_unit"]].head(1) if len(summary) else summary
    return html_page(
        f"MGWR by {level}, {year}",
        f"From analysis/mgwr_{level}_{year}.csv (multiscale GWR, adaptive bisquare bandwidths).",
        [
            ("Local coefficients per covariate", summary[[c for c in cols if c in summary.columns]], ""),
            ("Fit", fit, ""),
        ],
    )


#: the libraries a reader of the report asks for first (versions on the home page)
KEY_LIBRARIES = ("carbonbalance", "GDAL", "PROJ", "rasterio", "geopandas", "numpy", "pandas", "dask", "numba",
                 "xarray", "zarr", "snakemake", "matplotlib")  # fmt: skip


def input_files(meta: dict) -> pd.DataFrame:
    """Every input file the run read, with its SHA-256: the boundaries, the statistics table
    and each raster source per variable and year (from ``run_metadata.json``)."""
    import hashlib

    stages = meta.get("stages", {})
    rows = []
    for stage in ("boundaries", "statistics"):
        rec = stages.get(stage, {})
        if rec.get("path"):
            rows.append({"input": stage, "year": None, "file": rec["path"], "sha256": rec.get("sha256")})
    for key, rec in sorted(stages.get("align", {}).items()):
        var, _, year = key.partition("/")
        for source in rec.get("sources", []):
            digests = source.get("sha256", {})
            for f in source.get("files", []):
                rows.append({"input": var, "year": int(year) if year.isdigit() else None, "file": f,
                             "sha256": digests.get(f)})  # fmt: skip
    table = pd.DataFrame(rows, columns=["input", "year", "file", "sha256"]).drop_duplicates(["input", "file"])

    def combined(part):  # a single file's own digest; for several, the digest of their sorted digests
        digests = sorted(d or "" for d in part["sha256"])
        if not all(digests):
            return None
        return digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()

    table.attrs["combined"] = {name: combined(part) for name, part in table.groupby("input", sort=False)}
    return table


def _inputs_overview(meta: dict) -> pd.DataFrame:
    cfg = meta.get("config", {})
    files = input_files(meta)
    rows = []
    for name, part in files.groupby("input", sort=False):
        spec = cfg.get("inputs", {}).get(name, {}) if name not in ("boundaries", "statistics") else cfg.get(name, {})
        rows.append({
            "input": name,
            "source": spec.get("path", part["file"].iloc[0]),
            "product": spec.get("product") or "",
            "declared_units": spec.get("units", ""),
            "files": len(part),
            "sha256": files.attrs["combined"].get(name) or "not recorded",
        })  # fmt: skip
    return pd.DataFrame(rows)


def _crs_name(crs) -> str:
    if not crs:
        return ""
    from carbonbalance.plots.base import crs_label

    return crs_label(crs)


def _facts(meta: dict) -> list[tuple[str, str]]:
    cfg, stages = meta.get("config", {}), meta.get("stages", {})
    grid = stages.get("grid", {})
    counts = stages.get("boundaries", {}).get("units_per_level", {})
    order = [lvl.get("name") for lvl in cfg.get("boundaries", {}).get("levels", [])]
    units = {k: counts[k] for k in [*order, *counts] if k in counts}
    years = cfg.get("years", [])
    shape = grid.get("shape", ["?", "?"])
    return [
        ("run", str(cfg.get("run_name", ""))),
        ("created", str(meta.get("created", ""))),
        ("years", f"{min(years)}–{max(years)} ({len(years)})" if years else ""),
        ("region", f"{cfg.get('boundaries', {}).get('path', '')}: " + ", ".join(f"{n:,} {k}" for k, n in
                                                                             units.items())),
        ("grid", f"{shape[0]} × {shape[1]} cells of {grid.get('resolution', '?')} m, {_crs_name(grid.get('crs'))}"),
        ("zonal mode", str(cfg.get("zonal", {}).get("mode", ""))),
        ("emission allocation", str(cfg.get("emissions", {}).get("method", ""))),
        ("reporting mass unit", str(cfg.get("tables", {}).get("mass_unit", ""))),
        ("zoning schemes", ", ".join(cfg.get("tables", {}).get("zoning", {}).get("schemes", []))),
    ]  # fmt: skip


def run_page(meta: dict) -> str:
    """The run as a page: facts, inputs with checksums (one digest per input over its files,
    then every file), versions and the changed defaults with this run's values."""
    facts = pd.DataFrame(_facts(meta), columns=["item", "value"])
    versions = pd.DataFrame(sorted(meta.get("versions", {}).items()), columns=["package", "version"])
    changed = pd.DataFrame(meta.get("changed_defaults", []))
    if len(changed):
        changed["this_run"] = changed["this_run"].map(lambda v: str(v))
    return html_page(
        f"Run {meta.get('config', {}).get('run_name', '')}",
        "From run_metadata.json, which records every choice and count of the run.",
        [
            ("The run", facts, ""),
            ("Inputs", _inputs_overview(meta), "SHA-256 of the file, or for several files of their sorted digests."),
            ("Every input file", input_files(meta), ""),
            ("Versions", versions, ""),
            ("Defaults that changed, with this run's value", changed, ""),
        ],
    )


def run_summary_rst(meta: dict) -> str:
    """The run in reStructuredText for the report's home page: facts, inputs with their
    combined SHA-256 and the versions of the key libraries."""

    def table(rows, header):
        widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
        line = "  ".join("=" * w for w in widths)
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        body = [fmt.format(*[str(c) for c in r]) for r in rows]
        return "\n".join([line, fmt.format(*header), line, *body, line])

    def literal(text):
        return f"``{text}``" if text else ""

    facts = [(k, v.replace("*", r"\*")) for k, v in _facts(meta) if v]
    inputs = [
        (r["input"], literal(r["source"]), r["product"] or "–", r["files"], literal(r["sha256"][:16]) + "…")
        for r in _inputs_overview(meta).to_dict("records")
    ]
    versions = meta.get("versions", {})
    libs = [(k, versions.get(k) or "–") for k in KEY_LIBRARIES]
    return (
        "\n\n".join(
            [
                table(facts, ("item", "value")),
                "**Inputs** (SHA-256 of the file, or of the sorted digests of an input's files; every file's digest is "
                "on the *Run* page)",
                table(inputs, ("input", "source", "product", "files", "SHA-256")),
                "**Versions**",
                table(libs, ("package", "version")),
            ]
        )
        + "\n"
    )


def _share(cells, total) -> float:
    cells = max(cells) if isinstance(cells, list) and cells else cells
    return float(cells) / float(total) if total else float("nan")


def ingest_page(meta: dict) -> str:
    """The input checks of every raster variable and year: units (declared and canonical), the
    distribution statistic against its plausible range, fill values and the largest monthly
    share of the region's cells without data against the limit."""
    rows = []
    for key, rec in sorted(meta.get("stages", {}).get("align", {}).items()):
        dist = rec.get("distribution_check") or {}
        plausible = dist.get("plausible_range") or [None, None]
        fills = rec.get("n_fill") or [0]
        rows.append({
            "variable": rec.get("variable", key.split("/")[0]),
            "year": rec.get("year"),
            "declared_units": rec.get("declared_units"),
            "units": rec.get("units"),
            "statistic": dist.get("statistic", "–"),
            "value": dist.get("value"),
            "plausible_low": plausible[0],
            "plausible_high": plausible[1],
            "fill_values_read": int(sum(fills)),
            "max_share_without_data": _share(rec.get("region_cells_without_data", 0), rec.get("region_cells")),
            "max_nodata_share": rec.get("max_nodata_share"),
            "resampling": rec.get("resampling"),
        })  # fmt: skip
    stages = meta.get("stages", {})
    b = stages.get("boundaries", {})
    s = stages.get("statistics", {})
    overlap = b.get("overlaps", {}).get("overlap_km2_total", 0)
    other = pd.DataFrame([
        {"input": "boundaries", "file": b.get("path"), "checked": f"{b.get('geometries_repaired', 0)} geometries "
         f"repaired; overlaps {overlap:.3g} km²; source CRS {b.get('source_crs')}"},
        {"input": "statistics", "file": s.get("path"), "checked": f"rows per level {s.get('rows_per_level')}; "
         f"{s.get('n_cells_read_as_missing', 0)} cells read as missing"},
    ])  # fmt: skip
    return html_page(
        "Ingest: what every input held",
        "From run_metadata.json (stages align, boundaries, statistics). A run stops when a statistic leaves its "
        "plausible range or a month's share of cells without data exceeds the limit; this page shows how close "
        "each input came.",
        [("Raster inputs per variable and year", pd.DataFrame(rows), ""), ("Boundaries and statistics", other, "")],
    )


def casa_page(meta: dict) -> str:
    """CASA per year: NDVI limits, cells by status, mean annual NPP per vegetation type, the
    region's sequestration and the plausibility counts."""
    years, types, status = [], [], []
    for year, rec in sorted(meta.get("stages", {}).get("casa", {}).items()):
        plaus = rec.get("plausibility", {})
        years.append({
            "year": int(year),
            "sequestration_tco2": rec.get("sequestration_total_tco2"),
            "max_annual_npp_g_c_m2": rec.get("max_annual_npp_g_c_m2"),
            "cells_annual_npp_above_max": plaus.get("annual_npp_gt_max_cells"),
            "cell_months_monthly_npp_above_max": plaus.get("monthly_npp_gt_max_cell_months"),
            "ndvi_limits": rec.get("ndvi_limits", {}).get("method"),
        })  # fmt: skip
        types.append({"year": int(year), **rec.get("mean_annual_npp_g_c_m2_by_type", {})})
        status.append({"year": int(year), **rec.get("cells_by_status", {})})
    return html_page(
        "CASA: NPP, respiration and NEP",
        "From run_metadata.json (stage casa). NPP in g C m⁻² yr⁻¹; sequestration in t CO₂ over the region.",
        [
            ("The region per year", pd.DataFrame(years), ""),
            ("Mean annual NPP per vegetation type (g C m⁻² yr⁻¹)", pd.DataFrame(types), ""),
            ("Cells by status", pd.DataFrame(status), "Cells without an NPP and why."),
        ],
    )


def emissions_page(meta: dict) -> str:
    """Emission allocation per year: the method, the statistical total, the allocated total
    and categories, the largest relative error of the unit sums and the fall-back units."""
    rows = []
    for year, rec in sorted(meta.get("stages", {}).get("emissions", {}).items()):
        rows.append({
            "year": int(year),
            "method": rec.get("method"),
            "total_tco2": rec.get("total_tco2"),
            "allocated_tco2": rec.get("allocated_tco2"),
            **{f"{k}_tco2": v for k, v in (rec.get("allocated_by_category_tco2") or {}).items()},
            "max_relative_error_of_unit_sums": rec.get("max_relative_error_of_unit_sums"),
            "units_with_fallback_weights": rec.get("n_fallback_units"),
        })  # fmt: skip
    return html_page(
        "Emissions: allocation to the grid",
        "From run_metadata.json (stage emissions). Allocated sums per unit equal the statistical totals "
        "to 1e-9; the relative error column shows how close.",
        [("Per year", pd.DataFrame(rows), "Masses in t CO₂.")],
    )


#: the zonal columns a reader looks at first (the Parquet file holds every sum and mean)
ZONAL_COLUMNS = ["unit_id", "name", "area_km2", "n_cells", "emissions_tco2", "sequestration_tco2", "npp_mean_gc_m2",
                 "rh_mean_gc_m2", "nep_mean_gc_m2", "population_persons", "nightlight_sum_nw_cm2_sr"]  # fmt: skip


def zonal_page(table: pd.DataFrame, level: str) -> str:
    """Zonal statistics of a level: the region per year and every unit in the last year."""
    sums = [c for c in ("area_km2", "n_cells", "emissions_tco2", "sequestration_tco2", "population_persons")
            if c in table.columns]  # fmt: skip
    region = table.groupby("year")[sums].sum().reset_index()
    last, units = last_year_units(table, ZONAL_COLUMNS, "emissions_tco2")
    return html_page(
        f"Zonal statistics by {level}",
        f"From zonal/{level}.parquet: sums and means over the cells assigned to each unit (one assignment "
        "for every stage; a level's sums are the sums of its finest units).",
        [
            ("The region per year", region, ""),
            (f"Every {level} in {last}", units, ""),
        ],
    )


def ensemble_page(intervals: dict, stability: dict, sensitivity: dict, spread: dict, members: pd.DataFrame) -> str:
    """An ensemble's tables: the switches ranked by the zones they change, zone stability and
    intervals of the last year per level, the spread of Moran's I and the Dagum Gini, and
    every member's overrides."""
    sections = []
    for level, table in sensitivity.items():
        sections.append((f"Which switch changes the most zones ({level})", table,
                         "One row per variant, per coefficient at the 5th and 95th percentiles of its distribution "
                         "(the larger change of the two), and the Monte Carlo draws (mean per draw)."))  # fmt: skip
    for level, table in stability.items():
        last = int(table["year"].max())
        rows = table[table["year"] == last].sort_values(["scheme", "agreement", "unit_id"])
        note = "Agreement: the share of members whose zone is the baseline's; 1 = every member agrees."
        sections.append((f"Zone stability by {level}, {last} (least stable first)", rows, note))
    for level, table in intervals.items():
        last = int(table["year"].max())
        sections.append((f"Intervals by {level}, {last}", table[table["year"] == last], ""))
    for level, table in spread.items():
        sections.append((f"Global Moran's I and the Dagum Gini by {level}", table, ""))
    sections.append(
        ("Members", members, "Every member's config overrides and drawn values; run_metadata.json has them too.")
    )
    return html_page(
        "Ensemble: how sure is each result",
        "From ensemble/intervals_<level>.csv, zone_stability_<level>.csv, sensitivity_<level>.csv, global_<level>.csv "
        "and members.json (SPEC §9).",
        sections,
    )
