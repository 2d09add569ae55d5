"""Product presets (SPEC §2): what a product's files need to be read, as data files.

A preset is a YAML file (``carbonbalance/ingest/presets/<NAME>.yaml``, or any file a
config names by path: ``product: my/presets/MYPRODUCT.yaml``) with, per input variable it
can fill, the keys of an ``inputs.<variable>`` entry: ``variable`` (NetCDF/HDF variable or
HDF4 scientific dataset), ``units``, ``scale``, ``offset``, ``fill``, ``valid_range``,
``resampling``, ``crs``, ``band_origin``, and

- ``attributes``: what the file's own attributes say when they are right (e.g. MOD13A3's
  ``scale_factor: 10000``, a divisor, or ERA5-Land's ``units: m`` for metres per day);
  a file whose attributes differ is a different product or version, and stops the run;
- ``classes`` (land cover: code → CASA type; land use: code → emission category) and
  ``absorption_classes`` (land use: code → Jiangxi2024 absorption class).

A value the config states always wins over the preset.  Standard library and PyYAML
only: the Snakefile reads the class mappings when it loads the config.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from carbonbalance.errors import ConfigError

PRESET_DIR = Path(__file__).with_name("presets")
#: keys a preset may give an input
INPUT_KEYS = (
    "variable",
    "units",
    "scale",
    "offset",
    "fill",
    "valid_range",
    "resampling",
    "crs",
    "band_origin",
    "attributes",
    "classes",
    "absorption_classes",
)
ATTRIBUTE_KEYS = ("scale_factor", "add_offset", "fill", "valid_range", "units")


def available() -> list[str]:
    """Names of the presets shipped with the package."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def preset_path(product: str) -> Path:
    """The file of ``product``: a shipped name, or a path to a YAML file."""
    if product.endswith((".yaml", ".yml")) or "/" in product:
        path = Path(product)
        if not path.exists():
            raise ConfigError(f"product preset file {product} does not exist")
        return path
    path = PRESET_DIR / f"{product}.yaml"
    if not path.exists():
        raise ConfigError(f"unknown product {product!r}; presets: {available()}, or give the path of a preset file")
    return path


def load(product: str) -> dict:
    """The preset ``product`` as a dict (``name``, ``description``, ``inputs``), checked."""
    path = preset_path(product)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"product preset {path}: not valid YAML ({exc})") from exc
    inputs = data.get("inputs")
    if not isinstance(inputs, dict) or not inputs:
        raise ConfigError(f"product preset {path}: needs an 'inputs' mapping (input variable -> keys)")
    for var, keys in inputs.items():
        unknown = sorted(set(keys or {}) - set(INPUT_KEYS))
        if unknown:
            raise ConfigError(f"product preset {path}: inputs.{var} has unknown key(s) {unknown}; allowed {INPUT_KEYS}")
        bad = sorted(set((keys or {}).get("attributes") or {}) - set(ATTRIBUTE_KEYS))
        if bad:
            raise ConfigError(f"product preset {path}: inputs.{var}.attributes has unknown key(s) {bad}")
    return {"name": data.get("name", path.stem), "description": data.get("description", ""), **data, "path": str(path)}


def for_input(product: str, variable: str) -> dict:
    """The preset's keys for input ``variable`` (an error when it has none for it)."""
    preset = load(product)
    if variable not in preset["inputs"]:
        raise ConfigError(
            f"inputs.{variable}.product: preset {preset['name']} has no entry for {variable} "
            f"(it describes {sorted(preset['inputs'])})"
        )
    return dict(preset["inputs"][variable] or {})


def class_mappings(inputs: dict) -> dict:
    """The class mappings the presets of the configured inputs offer: ``landcover_classes``,
    ``landuse_classes`` and ``absorption_classes`` (for the keys the config leaves out)."""
    out = {}
    for var, key in (("landcover", "landcover_classes"), ("landuse", "landuse_classes")):
        product = (inputs.get(var) or {}).get("product")
        if not product:
            continue
        entry = for_input(product, var)
        if entry.get("classes"):
            out[key] = {str(k): v for k, v in entry["classes"].items()}
        if var == "landuse" and entry.get("absorption_classes"):
            out["absorption_classes"] = {str(k): v for k, v in entry["absorption_classes"].items()}
    return out
