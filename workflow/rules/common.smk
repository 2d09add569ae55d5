# Helpers shared by the rule files.  Kept free of the carbonbalance library so that
# the DAG can be built by a Snakemake that lives outside the project's environment.
from pathlib import Path

from snakemake.exceptions import WorkflowError

MONTHLY = ("ndvi", "temperature", "precipitation", "radiation")
ANNUAL = ("landcover", "landuse", "nightlight", "population")
ENV = "../../envs/carbonbalance.yaml"
CASA_OUTPUTS = ("npp.tif", "rh.tif", "nep.tif", "sequestration_tco2.tif", "casa_monthly.zarr")


def normalise_config(cfg):
    """YAML reads class codes as ints; the schema (and JSON) wants string keys."""
    for key in ("landcover_classes", "landuse_classes"):
        if isinstance(cfg.get(key), dict):
            cfg[key] = {str(k): v for k, v in cfg[key].items()}
    absorption = (cfg.get("emissions") or {}).get("absorption") or {}
    if isinstance(absorption.get("classes"), dict):
        absorption["classes"] = {str(k): v for k, v in absorption["classes"].items()}


EMISSION_CATEGORIES = ("urban", "industrial", "rural")
#: keys of the emissions config that the allocation does not read (other rules do)
EMISSION_OTHER_KEYS = ("energy", "absorption")


def emission_outputs():
    """File names under results/grid/{year}/ of the emissions rule (per method)."""
    names = {"total": "emissions.tif"}
    if config["emissions"]["method"] == "multisource":
        names |= {k: f"emissions_{k}.tif" for k in EMISSION_CATEGORIES}
    return names


def emission_params():
    """The config slice of the allocation: editing the accounting parameters does not rerun it."""
    return {k: v for k, v in config["emissions"].items() if k not in EMISSION_OTHER_KEYS}


def emission_layers():
    """Weight layers the configured fallback chains use."""
    e = config["emissions"]
    chains = [e["fallback"]] + ([e["rural_fallback"]] if e["method"] == "multisource" else [])
    return sorted({name for chain in chains for name in chain})


def years():
    return [int(y) for y in config["years"]]


def raw_paths(var, year):
    """Input files of one variable and year, from its path pattern in the config."""
    pattern = config["inputs"][var]["path"]
    if var in MONTHLY:
        return [pattern.format(year=int(year), month=m) for m in range(1, 13)]
    return [pattern.format(year=int(year))]


def all_raw_paths():
    paths = []
    for var in MONTHLY + ANNUAL:
        for y in years():
            paths += raw_paths(var, y)
    return sorted(set(paths))


def aligned(var, year):
    return f"results/aligned/{year}/{var}.zarr"


def stage_metadata():
    """Provenance records written by every job; merged into results/run_metadata.json."""
    files = ["results/meta/prepare_boundaries.json", "results/meta/build_grid.json",
             "results/meta/statistics.json"]
    for y in years():
        files += [f"results/meta/align_{var}_{y}.json" for var in MONTHLY + ANNUAL]
        files.append(f"results/meta/casa_{y}.json")
        files += [f"results/meta/emissions_{y}.json", f"results/meta/landuse_absorption_{y}.json"]
    files += [f"results/meta/zonal_{y}.json" for y in years()]
    files += [f"results/meta/tables_{lvl}.json" for lvl in table_levels()]
    files += [f"results/meta/analysis_{lvl}.json" for lvl in config["analysis"]["levels"]]
    files += [f"results/meta/econometrics_{lvl}.json" for lvl in config["econometrics"]["levels"]]
    if config["econometrics"]["mgwr"]["enabled"]:
        files += [f"results/meta/mgwr_{lvl}_{y}.json" for lvl in config["econometrics"]["levels"] for y in years()]
    files += ["results/meta/unit_assignment.json", "results/meta/energy_accounting.json",
              "results/meta/zonal_levels.json"]
    return files


def all_targets():
    targets = ["results/run_metadata.json", "results/tables/statistics.parquet",
               "results/aligned/cell_area.zarr"]
    targets += [aligned(var, y) for var in MONTHLY + ANNUAL for y in years()]
    for y in years():
        targets += [f"results/grid/{y}/{name}" for name in CASA_OUTPUTS]
        targets.append(f"results/figures/casa_{y}.png")
        targets += [f"results/grid/{y}/{name}" for name in emission_outputs().values()]
        targets += [f"results/figures/emissions_{y}.png", f"results/tables/landuse_absorption_{y}.parquet"]
    targets.append("results/tables/energy_accounting.parquet")
    targets += [f"results/zonal/{lvl}.parquet" for lvl in zonal_levels()]
    for lvl in table_levels():
        targets += [f"results/tables/{name}_{lvl}.csv" for name in ("budget", "compensation", "lmdi")]
    targets += [f"results/figures/budget_{y}.png" for y in years()]
    targets += analysis_targets()
    targets += econometrics_targets()
    return targets


def check_config_levels():
    """Levels named by the analysis and econometrics sections must be boundaries levels."""
    known = table_levels()
    for section in ("analysis", "econometrics"):
        bad = [lvl for lvl in config[section]["levels"] if lvl not in known]
        if bad:
            raise WorkflowError(f"{section}.levels: {bad} are not boundaries levels ({known})")


def check_user_inputs():
    """With real data (demo off), list every missing input file with its config key at once."""
    missing = []
    for key, path in (("boundaries.path", config["boundaries"]["path"]),
                      ("statistics.path", config["statistics"]["path"])):
        if not Path(path).exists():
            missing.append(f"  {key}: {path}")
    for var in MONTHLY + ANNUAL:
        for y in years():
            gone = [p for p in raw_paths(var, y) if not Path(p).exists()]
            if gone:
                months = "" if var in ANNUAL else f" ({len(gone)} of 12 months)"
                missing.append(f"  inputs.{var}.path, {y}{months}: " + ", ".join(gone))
    if missing:
        raise WorkflowError("missing input files (set demo.enabled: true for the demo, or fix the paths "
                            "in your config):\n" + "\n".join(missing))


def zonal_levels():
    """Output levels of the zonal tables: the boundaries levels and the whole region."""
    return [lvl["name"] for lvl in config["boundaries"]["levels"]] + ["region"]


def zonal_inputs(wildcards):
    """Every layer of one year that the zonal rule summarises."""
    y = wildcards.year
    inputs = {"assignment": "results/aligned/unit_assignment.zarr", "area": "results/aligned/cell_area.zarr",
              "emissions": f"results/zonal/{y}/emissions.parquet"}
    inputs |= {name.split(".")[0]: f"results/grid/{y}/{name}"
               for name in ("npp.tif", "rh.tif", "nep.tif", "sequestration_tco2.tif")}
    inputs |= {var: aligned(var, y) for var in ("nightlight", "population", "landuse", "ndvi", "temperature",
                                                  "precipitation")}
    return inputs


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


def econometrics_targets():
    out = []
    for lvl in config["econometrics"]["levels"]:
        out += [f"results/analysis/sdm_{lvl}.csv", f"results/figures/sdm_effects_{lvl}.png"]
        if config["econometrics"]["mgwr"]["enabled"]:
            out += [f"results/figures/mgwr_{lvl}_{y}.png" for y in years()]
    return out


def analysis_targets():
    out = ["results/analysis/centre_of_gravity.csv"]
    for lvl in config["analysis"]["levels"]:
        out += [f"results/analysis/{lvl}/moran.csv", f"results/figures/moran_lisa_{lvl}.png"]
    out += [f"results/figures/hotspots_{y}.png" for y in years()]
    return out
