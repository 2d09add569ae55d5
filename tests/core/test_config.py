"""The config reference (docs/config.md) is generated from the schema and kept current."""

import re

import pytest
from helpers import ROOT

from carbonbalance.core.config import SCHEMA, config_reference, deref, load_schema


def test_docs_config_reference_is_current():
    current = config_reference(load_schema(SCHEMA))
    assert (ROOT / "docs" / "config.md").read_text() == current, (
        "docs/config.md is out of date with workflow/schemas/config.schema.yaml: run `make docs`"
    )


def test_the_reference_lists_every_key_with_a_description_and_its_default():
    schema = load_schema(SCHEMA)
    text = config_reference(schema)
    cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in text.splitlines() if line.startswith("| `")]
    rows = {c[0].strip().strip("`"): [x.strip() for x in c[1:]] for c in cells}

    def keys(node, prefix):
        node = deref(schema, node)
        for key, raw in (node.get("properties") or {}).items():
            sub = deref(schema, raw)
            name = f"{prefix}{key}"
            yield name, sub
            if raw.get("$ref") != "#/$defs/raster" and sub.get("type") == "object":
                yield from keys(sub, f"{name}.")

    expected = [
        (k, s)
        for section, node in schema["properties"].items()
        if deref(schema, node).get("properties")
        for k, s in keys(node, f"{section}.")
    ]
    expected += list(keys(schema["$defs"]["raster"], "inputs.<variable>."))
    assert len(expected) > 150
    for key, sub in expected:
        assert key in rows, f"{key} missing from the reference"
        typ, default, desc = rows[key]
        assert desc, f"{key} has no description in the schema"
        if "default" in sub and not isinstance(sub["default"], (dict, list)):
            assert default == ("null" if sub["default"] is None else f"`{sub['default']}`"), key


CONFIGS = [["config/demo.yaml"], ["config/demo.yaml", "config/test.yaml"], ["config/demo_products.yaml"]]


@pytest.mark.parametrize("files", CONFIGS)
def test_fill_defaults_equals_snakemakes_validate(files, tmp_path):
    """The workflow fills the schema's defaults itself (from the schema it has loaded once,
    with libyaml); the result is what snakemake.utils.validate(set_default=True) gives."""
    import copy

    import yaml
    from snakemake.utils import validate

    from carbonbalance.core.config import fill_defaults, load_schema, merge, normalise

    cfg = {}
    for f in files:
        cfg = merge(cfg, yaml.safe_load((ROOT / f).read_text()))
    cfg = normalise(cfg)
    ours, theirs = copy.deepcopy(cfg), copy.deepcopy(cfg)
    schema = ROOT / "workflow/schemas/config.schema.yaml"
    fill_defaults(ours, load_schema(schema))
    validate(theirs, str(schema), set_default=True)
    assert ours == theirs
