# Helpers shared by the rule files.  Kept free of the carbonbalance library's heavy
# dependencies so that the DAG can be built by a Snakemake that lives outside the project's
# environment (the config checks use modules that need only PyYAML and jsonschema).
import os
from pathlib import Path

from snakemake.exceptions import WorkflowError

SCHEMA = "workflow/schemas/config.schema.yaml"
MONTHLY = ("ndvi", "temperature", "precipitation", "radiation")
ANNUAL = ("landcover", "landuse", "nightlight", "population")
OPTIONAL = ("npp",)
ENV = "../../envs/carbonbalance.yaml"
#: set by `carbonbalance plan` to a file for the run's size: the DAG of a config is built
#: without its raster and table inputs, which a plan is made before having
PLANNING = os.environ.get("CARBONBALANCE_PLAN", "")
CASA_OUTPUTS = ("npp.tif", "rh.tif", "nep.tif", "sequestration_tco2.tif", "casa_monthly.zarr")


def R(path):
    """A path below this run's results folder, results/{run_name}/."""
    return f"results/{config['run_name']}/{path}"


def cfg(*keys, drop=()):
    """The config slice at ``keys`` (minus the keys ``drop``), e.g. ``cfg("casa")``.

    The params of each job carry only what it reads, so that editing a parameter reruns
    only the jobs that read it."""
    node = config
    for k in keys:
        node = node[k]
    return {k: v for k, v in node.items() if k not in drop} if drop else node


def L(path):
    """A path below this run's log folder, logs/{run_name}/."""
    return f"logs/{config['run_name']}/{path}"


def load_config(cfg, configfiles):
    """Validate the run's config (one line per error, naming the key), fill the schema
    defaults, and check at load time what can be checked without running a job."""
    if not cfg:
        raise WorkflowError(
            "no configuration: run with --configfile my.yaml (see README.md, 'Using your own "
            "data'), or `make demo` for the demo (config/demo.yaml)"
        )
    check = library_module("carbonbalance.core.config")
    check.normalise(cfg)
    errors = check.schema_errors(cfg, Path(workflow.basedir, SCHEMA))
    if errors:
        files = ", ".join(str(f) for f in configfiles) or "the config"
        raise WorkflowError(f"invalid configuration ({files}):\n" + "\n".join(errors))
    apply_class_presets(cfg)
    check.fill_defaults(cfg, check.load_schema(Path(workflow.basedir, SCHEMA)))
    check_config_levels()
    check_source_inputs()
    if not workflow.is_main_process:
        return  # a job's own Snakemake (cluster jobs, groups): the main process checked the files
    check_grid()
    check_demo_paths()
    if not cfg["demo"]["enabled"] and not PLANNING:
        check_user_inputs()


EMISSION_CATEGORIES = ("urban", "industrial", "rural")
#: keys of the emissions config that the allocation does not read (other rules do)
EMISSION_OTHER_KEYS = ("energy", "absorption")


def emission_outputs():
    """File names under results/grid/{year}/ of the emissions rule (per method)."""
    names = {"total": "emissions.tif"}
    if config["emissions"]["method"] == "multisource":
        names |= {k: f"emissions_{k}.tif" for k in EMISSION_CATEGORIES}
    return names


def emission_params(conf=None):
    """The config slice of the allocation: editing the accounting parameters does not rerun it."""
    e = (conf or config)["emissions"]
    return {k: v for k, v in e.items() if k not in EMISSION_OTHER_KEYS}


def emission_layers(conf=None):
    """Weight layers the configured fallback chains use."""
    e = (conf or config)["emissions"]
    chains = [e["fallback"]] + ([e["rural_fallback"]] if e["method"] == "multisource" else [])
    return sorted({name for chain in chains for name in chain})


def emission_inputs(year, conf=None):
    """Inputs of the emission allocation of one year (``conf``: an ensemble member's config)."""
    conf = conf or config
    inputs = {
        "grid": R("aligned/grid.json"),
        "assignment": R("aligned/unit_assignment.zarr"),
        "units": R("boundaries/units.gpkg"),
        "statistics": R("tables/statistics.parquet"),
    }
    for name in emission_layers(conf):
        if name == "area":
            inputs[name] = R("aligned/cell_area.zarr")
        else:
            inputs[name] = aligned("nightlight" if name == "light" else name, year)
    if conf["emissions"]["method"] == "multisource":
        inputs["landuse"] = aligned("landuse", year)
    return inputs


def ensemble_lib():
    return library_module("carbonbalance.ensemble.members")


def ensemble_members():
    """The members of config ``ensemble`` (carbonbalance.ensemble.members), each member's config
    checked against the schema; {} without an ensemble."""
    lib = ensemble_lib()
    try:
        members = lib.build_members(config)
    except lib.EnsembleError as exc:
        raise WorkflowError(f"invalid configuration: {exc}") from None
    check = library_module("carbonbalance.core.config")
    for name, m in members.items():
        errors = check.schema_errors(lib.merged(config, m["overrides"]), Path(workflow.basedir, SCHEMA))
        if errors:
            raise WorkflowError(f"ensemble member {name} ({m['kind']}) has an invalid config:\n" + "\n".join(errors))
    return members


def member_config(member):
    return ensemble_lib().merged(config, ENSEMBLE[member]["overrides"])


def years():
    return [int(y) for y in config["years"]]


def raster_inputs():
    """The raster inputs of the run: the eight of every run, and the optional ones the
    configured sources need (inputs.npp for tables.sequestration_source: npp_product)."""
    return MONTHLY + ANNUAL + tuple(v for v in OPTIONAL if v in config["inputs"])


def raw_paths(var, year):
    """Input files (or ESRI GRID folders) of one variable and year: the matches of its path
    pattern (tiles, globs), and the name of a missing file where the pattern has no wildcard."""
    layout = library_module("carbonbalance.ingest.layout")
    return layout.input_files(config["inputs"][var], var, int(year), var in MONTHLY)


def input_variables():
    """Every input the run reads files of: the raster inputs and a gridded inventory."""
    return [*raster_inputs(), *(["inventory"] if "inventory" in config["inputs"] else [])]


def source(paths):
    """Input files of the user's data (rasters, tables); none while planning."""
    return [] if PLANNING else paths


def write_plan_scale():
    """For `carbonbalance plan`: the run's size (grid cells, units, years, and the ensemble
    members each batched ensemble job computes) as JSON."""
    import json

    s = run_scale()
    members = {
        "ensemble_casa_batch": len(CASA_BATCH),
        "ensemble_zonal": len(ZONAL_MEMBERS),
        "ensemble_tables": len(TABLE_MEMBERS),
        "ensemble_summary": len(ENSEMBLE),
    }
    scale = {"cells": s.cells, "units": s.units, "years": s.years, "members_by_rule": members}
    Path(PLANNING).write_text(json.dumps(scale))


def preset_files(var):
    """A product preset given as a file: an input of the rules that read it."""
    product = config["inputs"].get(var, {}).get("product", "")
    return [product] if product.endswith((".yaml", ".yml")) else []


def demo_raster_outputs():
    """The demo generator's raster outputs; ESRI GRID folders (a path without a suffix) are
    directories."""
    return [directory(p) if not Path(p).suffix else p for p in all_raw_paths()]


def all_raw_paths():
    paths = []
    for var in input_variables():
        for y in years():
            paths += raw_paths(var, y)
    return sorted(set(paths))


def aligned(var, year):
    return R(f"aligned/{year}/{var}.zarr")


def stage_metadata():
    """Provenance records written by every job; merged into results/run_metadata.json."""
    files = [R("meta/prepare_boundaries.json"), R("meta/build_grid.json"), R("meta/statistics.json")]
    for y in years():
        files += [R(f"meta/align_{var}_{y}.json") for var in raster_inputs()]
        files.append(R(f"meta/casa_{y}.json"))
        files += [R(f"meta/emissions_{y}.json"), R(f"meta/landuse_absorption_{y}.json")]
    files += [R(f"meta/zonal_{y}.json") for y in years()]
    files += [R(f"meta/tables_{lvl}.json") for lvl in table_levels()]
    files += [R(f"meta/analysis_{lvl}.json") for lvl in config["analysis"]["levels"]]
    files += [R(f"meta/econometrics_{lvl}.json") for lvl in config["econometrics"]["levels"]]
    if config["econometrics"]["mgwr"]["enabled"]:
        files += [R(f"meta/mgwr_{lvl}_{y}.json") for lvl in config["econometrics"]["levels"] for y in years()]
    files += [R("meta/unit_assignment.json"), R("meta/energy_accounting.json"), R("meta/zonal_levels.json")]
    if "inventory" in config["inputs"]:
        files += [R(f"meta/emission_inventory_{y}.json") for y in years()]
    if config["ensemble"]["variants"] or config["ensemble"]["draws"]:
        files.append(R("meta/ensemble.json"))
    return files


def all_targets():
    targets = [R("run_metadata.json"), R("tables/statistics.parquet"), R("aligned/cell_area.zarr")]
    targets += [aligned(var, y) for var in raster_inputs() for y in years()]
    for y in years():
        targets += [R(f"grid/{y}/{name}") for name in CASA_OUTPUTS]
        targets.append(R(f"figures/casa_{y}.png"))
        targets += [R(f"grid/{y}/{name}") for name in emission_outputs().values()]
        targets += [R(f"figures/emissions_{y}.png"), R(f"tables/landuse_absorption_{y}.parquet")]
    targets.append(R("tables/energy_accounting.parquet"))
    targets += [R(f"zonal/{lvl}.parquet") for lvl in zonal_levels()]
    for lvl in table_levels():
        targets += [R(f"tables/{name}_{lvl}.csv") for name in ("budget", "compensation", "lmdi")]
    targets += [R(f"figures/budget_{y}.png") for y in years()]
    targets += [
        R(f"figures/{name}_{lvl}.png") for name in ("budget_trends", "lmdi", "compensation") for lvl in table_levels()
    ]
    targets += [R(f"figures/budget_years_{v}.png") for v in budget_year_variables()]
    targets += spatial_targets()
    targets += econometrics_targets()
    targets += ensemble_targets()
    return targets


def apply_class_presets(cfg):
    """Class mappings from the land-cover and land-use product presets (landcover_classes,
    landuse_classes, emissions.absorption.classes), for the keys the config leaves out."""
    presets = library_module("carbonbalance.ingest.presets")
    try:
        for var, spec in cfg.get("inputs", {}).items():  # every product is known and describes its input
            if spec.get("product"):
                presets.for_input(spec["product"], var)
        offered = presets.class_mappings(cfg.get("inputs", {}))
    except Exception as exc:  # ConfigError: an unknown product or a broken preset file
        raise WorkflowError(f"inputs: {exc}") from None
    for key in ("landcover_classes", "landuse_classes"):
        if key not in cfg and key in offered:
            cfg[key] = offered[key]
    if "absorption_classes" in offered:
        absorption = cfg.setdefault("emissions", {}).setdefault("absorption", {})
        absorption.setdefault("classes", offered["absorption_classes"])
    if "landuse_classes" not in cfg:
        raise WorkflowError(
            "landuse_classes: required: map every land-use code to urban, industrial, rural or none, "
            "or give inputs.landuse a product preset that has the mapping (CNLUCC, CLCD)"
        )


def check_source_inputs():
    """The inputs the configured budget sources read are configured."""
    t = config["tables"]
    if t["sequestration_source"] == "npp_product" and "npp" not in config["inputs"]:
        raise WorkflowError(
            "tables.sequestration_source: npp_product reads inputs.npp (an annual NPP product such as "
            "MOD17A3HGF), which the config does not give"
        )
    if t["emission_source"] == "inventory" and "inventory" not in config["inputs"]:
        raise WorkflowError(
            "tables.emission_source: inventory reads inputs.inventory (a gridded emission inventory), "
            "which the config does not give"
        )


def check_config_levels():
    """Levels named by the analysis and econometrics sections must be boundaries levels."""
    known = table_levels()
    for section in ("analysis", "econometrics"):
        bad = [lvl for lvl in config[section]["levels"] if lvl not in known]
        if bad:
            raise WorkflowError(f"{section}.levels: {bad} are not boundaries levels ({known})")


def check_grid():
    """grid.crs is a CRS and grid.bounds meet the boundaries (when the boundaries file is
    there to be read), so that a wrong grid stops the run at load time naming the key."""
    g = config["grid"]
    try:
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError
    except ImportError:  # a Snakemake outside the project's environment: the rules check it
        return
    try:
        crs = CRS.from_user_input(g["crs"])
    except CRSError as exc:
        raise WorkflowError(f"grid.crs: {g['crs']!r} is not a CRS that PROJ knows ({exc})") from None
    bounds = g["bounds"]
    if bounds is not None and not (bounds[2] > bounds[0] and bounds[3] > bounds[1]):
        raise WorkflowError(
            f"grid.bounds: {bounds} is empty or inverted; give [xmin, ymin, xmax, ymax] in the "
            f"grid CRS, or null for the boundaries' extent"
        )
    path, layer = config["boundaries"]["path"], config["boundaries"]["layer"]
    if not Path(path).exists():
        return
    try:
        import pyogrio

        info = pyogrio.read_info(path, layer=layer)
    except Exception:  # unreadable: rule prepare_boundaries names the problem
        return
    if info.get("features", 1) == 0:
        raise WorkflowError(
            f"boundaries.path: {path} (layer {layer or info.get('layer_name', 'first')}) has no "
            f"features; point boundaries.path/boundaries.layer at the finest units"
        )
    if bounds is None or info.get("crs") is None or info.get("total_bounds") is None:
        return
    ext = Transformer.from_crs(CRS.from_user_input(info["crs"]), crs, always_xy=True).transform_bounds(
        *info["total_bounds"], densify_pts=21
    )
    if not (bounds[0] < ext[2] and bounds[2] > ext[0] and bounds[1] < ext[3] and bounds[3] > ext[1]):
        raise WorkflowError(
            f"grid.bounds: {bounds} do not overlap the boundaries {path}, whose extent in the grid "
            f"CRS is {[round(v) for v in ext]}; fix grid.bounds or set it to null (the "
            f"boundaries' extent)"
        )


def demo_outputs():
    """(config key, path) of every file the demo generator writes."""
    out = [("boundaries.path", config["boundaries"]["path"]), ("statistics.path", config["statistics"]["path"])]
    for var in input_variables():
        out += [(f"inputs.{var}.path", p) for y in years() for p in raw_paths(var, y)]
    return out


def check_demo_paths():
    """With demo.enabled the generator writes only below demo.root: every input path of the
    config must lie there, so that a user's files can never be generated over."""
    d = config["demo"]
    if not d["enabled"]:
        return
    cwd = Path.cwd().resolve()
    root = Path(d["root"]).resolve()
    if root == cwd or cwd not in root.parents:
        raise WorkflowError(
            f"demo.root: {d['root']!r} must be a folder inside the working directory (e.g. "
            f"resources/demo): the demo generator writes only there"
        )
    outside = [(k, p) for k, p in demo_outputs() if root not in Path(p).resolve().parents]
    if outside:
        listed = "\n".join(f"  {k}: {p}" for k, p in outside[:10])
        raise WorkflowError(
            f"demo.enabled is true, but these inputs lie outside demo.root ({d['root']}):\n"
            f"{listed}\nThe demo generator writes only below its own folder. For your own data "
            f"leave out the demo section (demo.enabled: false)."
        )
    # Snakemake deletes a job's existing outputs before it runs: refuse now, not in the job
    refusal = library_module("carbonbalance.demo.manifest").refusal(d["root"], [p for _, p in demo_outputs()])
    if refusal:
        raise WorkflowError(f"demo: {refusal}")


def library_module(name):
    """A module of the package that needs only the standard library, PyYAML and jsonschema
    (what every Snakemake has), taken from src/ if the package is not installed."""
    import importlib
    import sys

    try:
        return importlib.import_module(name)
    except ImportError:
        src = str(Path(workflow.basedir, "src"))
        if src not in sys.path:
            sys.path.append(src)
        return importlib.import_module(name)


def check_user_inputs():
    """With real data (demo off), list every missing input file with its config key at once."""
    missing = []
    for key, path in (
        ("boundaries.path", config["boundaries"]["path"]),
        ("statistics.path", config["statistics"]["path"]),
    ):
        if not Path(path).exists():
            missing.append(f"  {key}: {path}")
    layout = library_module("carbonbalance.ingest.layout")
    for var in input_variables():
        for y in years():
            steps = layout.steps(config["inputs"][var], var, y, var in MONTHLY)
            gone = [s for s in steps if s.missing]
            if not gone:
                continue
            if len(gone) == 1 or len({s.pattern for s in gone}) == 1:
                missing.append(f"  {layout.missing_description(gone[0], var, y)}")
            else:
                months = f" ({len(gone)} of 12 months)"
                patterns = ", ".join(s.pattern for s in gone)
                missing.append(f"  inputs.{var}.path, {y}{months}: {patterns}")
    if missing:
        raise WorkflowError(
            "missing input files (set demo.enabled: true for the demo, or fix the paths "
            "in your config):\n" + "\n".join(missing)
        )


def zonal_levels():
    """Output levels of the zonal tables: the boundaries levels and the whole region."""
    return [lvl["name"] for lvl in config["boundaries"]["levels"]] + ["region"]


def zonal_inputs(wildcards):
    """Every layer of one year that the zonal rule summarises."""
    y = wildcards.year
    inputs = {
        "assignment": R("aligned/unit_assignment.zarr"),
        "area": R("aligned/cell_area.zarr"),
        "emissions": R(f"zonal/{y}/emissions.parquet"),
    }
    inputs |= {
        name.split(".")[0]: R(f"grid/{y}/{name}") for name in ("npp.tif", "rh.tif", "nep.tif", "sequestration_tco2.tif")
    }
    inputs |= {
        var: aligned(var, y) for var in ("nightlight", "population", "landuse", "ndvi", "temperature", "precipitation")
    }
    if "npp" in config["inputs"]:
        inputs["npp_product"] = aligned("npp", y)
    if "inventory" in config["inputs"]:
        inputs["inventory"] = R(f"zonal/{y}/inventory.parquet")
    return inputs


#: the report's categories, numbered in the order of the chain (the viewer sorts them by name)
CATEGORY = {
    "ingest": "1 Ingest",
    "casa": "2 CASA",
    "emissions": "3 Emissions",
    "zonal": "4 Zonal statistics",
    "budget": "5 Budget",
    "spatial": "6 Spatial analysis",
    "econometrics": "7 Spatial econometrics",
    "run": "8 Run",
    "ensemble": "9 Uncertainty",
}


def labels(shows, level="all", year="all"):
    """Labels of a report item, the same three in every category so that its table reads as
    one list: what it shows, the level (or the grid) and the year."""
    return {"shows": shows, "level": level, "year": year}


def table_levels():
    """Levels of the budget tables: the boundaries levels, finest first."""
    return [lvl["name"] for lvl in config["boundaries"]["levels"]]


def parent_level(level):
    """[name, id column] of the level above ``level`` (None for the coarsest)."""
    names = table_levels()
    k = names.index(level)
    if k + 1 >= len(names):
        return None
    above = config["boundaries"]["levels"][k + 1]
    return [above["name"], above["id"]]


def level_id(level):
    """Id column of a boundaries level."""
    return {lvl["name"]: lvl["id"] for lvl in config["boundaries"]["levels"]}[level]


def group_name_column(wildcards=None):
    """Name column of the level whose ids group the Dagum decomposition (None for a grouping
    column of its own, such as region3, whose values are names already)."""
    return name_column(config["analysis"].get("group_column") or config["boundaries"]["levels"][-1]["id"])


def parent_group(level):
    """Id column grouping the units of ``level`` in its time-series figure: the coarsest
    level's id, or for the coarsest level the first of boundaries.groups (else its own id)."""
    levels = config["boundaries"]["levels"]
    if level != levels[-1]["name"]:
        return levels[-1]["id"]
    groups = config["boundaries"].get("groups") or []
    return groups[0] if groups else levels[-1]["id"]


def name_column(id_column):
    """The name column of the level whose id is ``id_column`` (None if it has none)."""
    return next((lvl.get("name_column") for lvl in config["boundaries"]["levels"] if lvl["id"] == id_column), None)


def budget_year_variables():
    """The budget columns that budget_years maps year by year: CE, CS, CB in the reporting
    mass unit, CBI, ECC, ESC and the zones of every scheme."""
    # carbonbalance.budget.params.MASS_UNITS (which needs pandas); the schema allows only these two
    suffix = {"t CO2": "tco2", "t C": "tc"}[config["tables"]["mass_unit"]]
    zones = [f"zone_{s}" for s in config["tables"]["zoning"]["schemes"]]
    return [f"{q}_{suffix}" for q in ("ce", "cs", "cb")] + ["cbi", "ecc", "esc"] + zones


def econometrics_targets():
    out = []
    for lvl in config["econometrics"]["levels"]:
        out += [R(f"analysis/sdm_{lvl}.csv"), R(f"figures/sdm_effects_{lvl}.png")]
        if config["econometrics"]["mgwr"]["enabled"]:
            out += [R(f"figures/mgwr_{lvl}_{y}.png") for y in years()]
    return out


def spatial_targets():
    out = [R("analysis/centre_of_gravity.csv")]
    for lvl in config["analysis"]["levels"]:
        out += [R(f"analysis/{lvl}/moran.csv"), R(f"figures/moran_lisa_{lvl}.png")]
    out += [R(f"figures/hotspots_{y}.png") for y in years()]
    return out


_GRID_CELLS = {}


def grid_cells():
    """Cells of the run's grid, for the resource declarations: from aligned/grid.json once
    build_grid wrote it; else from grid.bounds, or from the corners of every unit's bounding
    box (the file's index, no geometry read) in the grid CRS, at grid.resolution; else
    1 million (a demo's boundaries do not exist before it runs)."""
    if "n" in _GRID_CELLS:
        return _GRID_CELLS["n"]
    import json

    n = 1_000_000
    g = config["grid"]
    spec = Path(R("aligned/grid.json"))
    try:
        if spec.exists():
            d = json.loads(spec.read_text())
            n = int(d["width"]) * int(d["height"])
        else:
            bounds = g["bounds"]
            if bounds is None:
                import numpy as np
                import pyogrio
                from pyproj import CRS, Transformer

                path, layer = config["boundaries"]["path"], config["boundaries"]["layer"]
                info = pyogrio.read_info(path, layer=layer)
                b = pyogrio.read_bounds(path, layer=layer)[1]
                to_grid = Transformer.from_crs(
                    CRS.from_user_input(info["crs"]), CRS.from_user_input(g["crs"]), always_xy=True
                )
                x, y = to_grid.transform(
                    np.concatenate([b[0], b[0], b[2], b[2]]), np.concatenate([b[1], b[3], b[1], b[3]])
                )
                bounds = (x.min(), y.min(), x.max(), y.max())
            n = int((bounds[2] - bounds[0]) / g["resolution"] + 1) * int((bounds[3] - bounds[1]) / g["resolution"] + 1)
    except Exception:  # no grid yet, no readable boundaries, or no pyproj/pyogrio here
        pass
    _GRID_CELLS["n"] = n
    return n


_UNITS = {}


def unit_count():
    """Units of the finest level, for the resource declarations: the features of the
    boundaries file (its header), or 100 before a demo has written it."""
    if "n" not in _UNITS:
        n = 100
        try:
            import pyogrio

            n = int(pyogrio.read_info(config["boundaries"]["path"], layer=config["boundaries"]["layer"])["features"])
        except Exception:  # not there yet (the demo), or no pyogrio here
            pass
        _UNITS["n"] = max(n, 1)
    return _UNITS["n"]


def run_scale(members=1):
    """The size of this run that the resource declarations follow (``members``: the ensemble
    members one job computes)."""
    resources = library_module("carbonbalance.core.resources")
    return resources.Scale(cells=grid_cells(), units=unit_count(), years=len(years()), members=members)


def need(rule):
    """The line of ``rule`` in carbonbalance.core.resources.NEEDS (measured on the national
    benchmark; benchmarks/README.md)."""
    return library_module("carbonbalance.core.resources").need(rule)


def mem(rule, members=1):
    """A job's mem_mb, following the grid cells and units of the run (and the years, for
    the rules that read them all, and the ensemble members a job computes): at least 1.25
    times the peak of the national benchmark, plus the worker processes of a local dask
    cluster (config dask.scheduler: local)."""
    resources = library_module("carbonbalance.core.resources")
    workers = resources.dask_workers(rule, config.get("dask", {}).get("scheduler", "threads"))
    return lambda wildcards: need(rule).mem_mb(run_scale(members), dask_workers=workers)


def runtime(rule, members=1):
    """A job's runtime in minutes (SLURM -t): three times its expected wall time at this
    run's size, and at least 10 minutes."""
    return lambda wildcards: need(rule).runtime_min(run_scale(members))


# ---- ensembles (ensemble.smk): the paths and config of its members


def M(member, path):
    """A path below a member's results folder."""
    return R(f"ensemble/members/{member}/{path}")


def reruns(member, stage):
    return stage in ENSEMBLE[member]["stages"]


def mcfg(member, *keys):
    node = MEMBER_CONFIG[member]
    for k in keys:
        node = node[k]
    return node


def member_regex(names):
    """Wildcard constraint matching exactly ``names`` (none: a pattern that never matches)."""
    return "|".join(names) if names else "(?!)"


#: what the batched CASA pass writes per εmax member (RH does not depend on εmax: the baseline's)
BATCH_OUTPUTS = (("npp", "npp.tif"), ("nep", "nep.tif"), ("sequestration", "sequestration_tco2.tif"))


def casa_path(member, year, name):
    """A CASA output the member reads: its own, or the baseline's (also the RH of εmax members)."""
    own = reruns(member, "casa") and not (name == "rh.tif" and ensemble_lib().eps_only(ENSEMBLE[member]))
    return M(member, f"grid/{year}/{name}") if own else R(f"grid/{year}/{name}")


def emissions_units_path(member, year):
    return (
        M(member, f"zonal/{year}/emissions.parquet")
        if reruns(member, "emissions")
        else R(f"zonal/{year}/emissions.parquet")
    )


def absorption_path(member, year):
    """Land-use absorption of a member whose class areas change (classes, zonal mode): its own
    table; a member that changes only the coefficients λ rescales the baseline's areas."""
    own = ensemble_lib().absorption_areas_change(ENSEMBLE[member])
    return (
        M(member, f"tables/landuse_absorption_{year}.parquet")
        if own
        else R(f"tables/landuse_absorption_{year}.parquet")
    )


def ensemble_levels():
    return config["ensemble"]["levels"] or table_levels()


def ensemble_targets():
    if not ENSEMBLE:
        return []
    out = [R("ensemble/members.json"), R("report/ensemble.html"), R("figures/ensemble_cbi_intervals.png")]
    out.append(R("figures/ensemble_zone_stability.png"))
    for lvl in ensemble_levels():
        out += [R(f"ensemble/{name}_{lvl}.csv") for name in ("intervals", "zone_stability", "sensitivity")]
    out += [R(f"ensemble/global_{lvl}.csv") for lvl in ensemble_analysis_levels()]
    return out


def ensemble_analysis_levels():
    return [lvl for lvl in config["analysis"]["levels"] if lvl in ensemble_levels()]


def ensemble_zonal_inputs(wildcards):
    """The layers of one year, each member's CASA and emission outputs, and the baseline's table."""
    inputs = dict(zonal_inputs(wildcards))
    inputs["baseline"] = R(f"zonal/{wildcards.year}/finest.parquet")
    for m in ZONAL_MEMBERS:
        for name in ("npp", "rh", "nep"):
            inputs[f"{m}__{name}"] = casa_path(m, wildcards.year, f"{name}.tif")
        inputs[f"{m}__sequestration"] = casa_path(m, wildcards.year, "sequestration_tco2.tif")
        inputs[f"{m}__emissions"] = emissions_units_path(m, wildcards.year)
    return inputs


def ensemble_tables_inputs(wildcards):
    inputs = {
        "statistics": R("tables/statistics.parquet"),
        "energy": R("tables/energy_accounting.parquet"),
        "units": R("boundaries/units.parquet"),
    }
    inputs |= {f"budget__{lvl}": R(f"tables/budget_{lvl}.parquet") for lvl in ensemble_levels()}
    inputs |= {f"zonal__{lvl}": R(f"zonal/{lvl}.parquet") for lvl in ensemble_levels()}
    for m in TABLE_MEMBERS:
        for y in years():
            if reruns(m, "zonal"):
                inputs[f"{m}__zonal__{y}"] = M(m, f"zonal/{y}/finest.parquet")
            inputs[f"{m}__absorption__{y}"] = absorption_path(m, y)
    return inputs
