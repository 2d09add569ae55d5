"""Checking a run's config files: YAML syntax (file, line, column) and the schema (key and
message, one line each).  Needs only PyYAML and jsonschema, which every Snakemake has, so
the workflow uses it while it loads, and ``carbonbalance check-config`` before a run.
"""

from __future__ import annotations

from pathlib import Path

SCHEMA = Path("workflow") / "schemas" / "config.schema.yaml"


def yaml_error(path) -> str | None:
    """'file:line:column: problem' for a config file that is not valid YAML, else None."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return f"{path}: no such config file"
    except UnicodeDecodeError as exc:
        return f"{path}: not UTF-8 text ({exc})"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        return f"{where}: {problem}" + (f" ({context})" if context else "")
    if data is not None and not isinstance(data, dict):
        return f"{path}: the config must be a mapping of keys at the top level, not a {type(data).__name__}"
    return None


def merge(base: dict, new: dict) -> dict:
    """``new`` layered on ``base`` (nested mappings merged), as Snakemake merges --configfile files."""
    out = dict(base)
    for k, v in new.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def normalise(cfg: dict) -> dict:
    """YAML reads class codes as ints; the schema (and JSON) wants string keys."""
    for key in ("landcover_classes", "landuse_classes"):
        if isinstance(cfg.get(key), dict):
            cfg[key] = {str(k): v for k, v in cfg[key].items()}
    absorption = (cfg.get("emissions") or {}).get("absorption") or {}
    if isinstance(absorption.get("classes"), dict):
        absorption["classes"] = {str(k): v for k, v in absorption["classes"].items()}
    return cfg


def schema_errors(cfg: dict, schema_path, limit: int = 10) -> list[str]:
    """'key.path: message' for every way ``cfg`` breaks the schema (at most ``limit`` lines)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema(schema_path))
    out = []
    for e in sorted(validator.iter_errors(cfg), key=lambda e: [str(p) for p in e.absolute_path]):
        key = ".".join(str(p) for p in e.absolute_path) or "(top level)"
        msg = e.message
        if e.validator in ("oneOf", "anyOf") and e.context:
            msg = "; or ".join(sorted({c.message for c in e.context}))
        out.append(f"  {key}: {msg}")
    return out[:limit] + ([f"  ... and {len(out) - limit} more"] if len(out) > limit else [])


def check_files(paths, schema_path=SCHEMA) -> list[str]:
    """Every problem of the config files ``paths`` (layered in order), one line each."""
    import yaml

    problems = [e for e in (yaml_error(p) for p in paths) if e]
    if problems:
        return problems
    cfg: dict = {}
    for p in paths:
        cfg = merge(cfg, yaml.safe_load(Path(p).read_text(encoding="utf-8")) or {})
    errors = schema_errors(normalise(cfg), schema_path)
    return [f"invalid configuration ({', '.join(map(str, paths))}):", *errors] if errors else []


def load_schema(schema_path=SCHEMA) -> dict:
    """The schema as a dict, read with libyaml's loader where PyYAML has it: every Snakemake
    start-up reads it (and every SLURM job starts Snakemake twice), and the pure-Python
    loader takes about a second for it."""
    import copy

    import yaml

    path = Path(schema_path).resolve()
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return copy.deepcopy(_SCHEMAS[key])


_SCHEMAS: dict = {}


def fill_defaults(cfg: dict, schema: dict) -> dict:
    """Set the schema's defaults in ``cfg`` where it leaves keys out (as
    ``snakemake.utils.validate(..., set_default=True)`` does, on an already loaded schema
    whose references are local)."""
    import copy

    from jsonschema import Draft202012Validator, validators

    plain = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, sub):
        if isinstance(instance, dict):
            for name, prop in properties.items():
                if "default" in prop:
                    instance.setdefault(name, copy.deepcopy(prop["default"]))
        yield from plain(validator, properties, instance, sub)

    validators.extend(Draft202012Validator, {"properties": set_defaults})(schema).validate(cfg)
    return cfg


def subschema(schema: dict, *keys: str) -> dict:
    """The schema of the config value at ``keys`` (``$ref`` resolved)."""
    node = schema
    for k in keys:
        node = deref(schema, node)["properties"][k]
    return deref(schema, node)


def deref(schema: dict, node: dict) -> dict:
    """``node`` with a local ``$ref`` (``#/$defs/...``) followed."""
    while "$ref" in node:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_defaults(schema: dict, node: dict) -> dict:
    """What the schema's defaults make of an empty mapping at ``node`` (nested defaults
    filled the way Snakemake's ``validate(set_default=True)`` fills them)."""
    node = deref(schema, node)
    out = {}
    for key, sub in (node.get("properties") or {}).items():
        sub = deref(schema, sub)
        if "default" in sub:
            value = sub["default"]
            if isinstance(value, dict) and "properties" in sub:
                value = {**schema_defaults(schema, sub), **value}
            elif isinstance(value, list) and isinstance(sub.get("items"), dict):
                items = deref(schema, sub["items"])
                if "properties" in items:
                    value = [{**schema_defaults(schema, items), **v} if isinstance(v, dict) else v for v in value]
            out[key] = value
    return out


def _type(node: dict) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "oneOf" in node:
        return " or ".join(_type(o) for o in node["oneOf"])
    t = node.get("type", "")
    if isinstance(t, list):
        return " or ".join(t)
    if t == "array" and isinstance(node.get("items"), dict):
        return f"array of {_type(node['items']) or 'values'}"
    return t


def _default(value) -> str:
    import json

    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False)
        return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"
    return f"`{value}`"


def _rows(schema: dict, node: dict, prefix: str, parent_default=None, parent_desc: str = ""):
    """(key, type, default, description) of every key below ``node``, nested objects after
    their parent; a key without its own default shows its entry in the parent's default.
    Raster inputs (``$defs/raster``) are not expanded: they have their own table."""
    node = deref(schema, node)
    required = node.get("required", [])
    for key, raw in (node.get("properties") or {}).items():
        sub = deref(schema, raw)
        name = f"{prefix}{key}"
        if "default" in sub:
            default = _default(sub["default"])
        elif isinstance(parent_default, dict) and key in parent_default:
            default = _default(parent_default[key])
        else:
            default = "required" if key in required else "none"
        desc = " ".join(str(sub.get("description", raw.get("description", ""))).split()).replace("|", "\\|")
        desc = desc or (f"{key} entry of: {parent_desc}" if parent_desc else "")
        is_raster = raw.get("$ref") == "#/$defs/raster"
        expand = sub.get("type") == "object" and sub.get("properties") and not is_raster
        if expand and isinstance(sub.get("default"), dict) and sub["default"]:
            default = ""  # each key below shows its own default
        yield name, ("object" if expand or is_raster else _type(sub)), default, desc
        if expand:
            yield from _rows(schema, sub, f"{name}.", sub.get("default"), desc)


def config_reference(schema: dict) -> str:
    """Markdown reference of every config key: type, default and description (from the schema)."""
    header = "| key | type | default | description |\n|---|---|---|---|"
    lines = [
        "# Config reference",
        "",
        "Generated from `workflow/schemas/config.schema.yaml` by `carbonbalance config-reference` "
        "(`make docs`); a test checks that it is current. Units are in the key names or the "
        "descriptions. A user's config starts from these defaults only, never from the demo's.",
        "",
    ]
    for section, node in (schema.get("properties") or {}).items():
        node = deref(schema, node)
        lines += [f"## `{section}`", ""]
        if node.get("description"):
            lines += [" ".join(str(node["description"]).split()), ""]
        if node.get("properties"):
            rows = _rows(schema, node, f"{section}.", node.get("default"))
            lines += [header] + [f"| `{k}` | {t} | {d} | {desc} |" for k, t, d, desc in rows] + [""]
        else:
            default = _default(node["default"]) if "default" in node else "none (required)"
            lines += [f"Type: {_type(node)}; default {default}.", ""]
    raster = schema.get("$defs", {}).get("raster")
    if raster:
        lines += ["## `inputs.<variable>` (every raster input)", "", header]
        lines += [f"| `{k}` | {t} | {d} | {desc} |" for k, t, d, desc in _rows(schema, raster, "inputs.<variable>.")]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
