"""The config reference (docs/config.md) is generated from the schema and kept current."""

import re

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
