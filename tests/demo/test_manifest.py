"""The demo generator writes only below its root and never over files it did not create."""

import json

import pytest
import yaml
from conftest import ROOT

from carbonbalance import demo
from carbonbalance.demo import manifest
from carbonbalance.errors import InputError


def _demo_inputs(root):
    inputs = yaml.safe_load((ROOT / "config/demo.yaml").read_text())["inputs"]
    return {k: {**v, "path": str(root / v["path"].replace("resources/demo/", ""))} for k, v in inputs.items()}


def test_demo_generator_writes_only_below_its_root_and_never_over_foreign_files(tmp_path):
    root = tmp_path / "demo"
    inputs = _demo_inputs(root)
    # an output outside the root: refused before anything is written
    with pytest.raises(InputError, match=r"writes only below demo.root .*outside it: \[.*elsewhere/s\.csv"):
        demo.generate(inputs, root / "b.gpkg", tmp_path / "elsewhere" / "s.csv", [2020], root=root)
    assert not root.exists()
    # a file the generator did not create, at one of its output paths: never overwritten
    foreign = root / "ndvi" / "ndvi_2020_03.tif"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"the user's own file")
    with pytest.raises(
        InputError,
        match=r"refusing to overwrite 1 file\(s\) the demo generator did not create: "
        r"\[.*ndvi_2020_03\.tif'\] \(they are not listed in .*\.carbonbalance-demo",
    ):
        demo.generate(inputs, root / "b.gpkg", root / "s.csv", [2020], root=root)
    assert foreign.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == ["ndvi_2020_03.tif"]
    # once generated, every file is listed with its checksum and may be generated again
    foreign.unlink()
    demo.generate(inputs, root / "b.gpkg", root / "s.csv", [2020], root=root)
    listed = json.loads((root / manifest.MANIFEST).read_text())["files"]
    assert len(listed) == 2 + 12 * 4 + 4 and listed["s.csv"] == manifest.sha256(root / "s.csv")
    assert manifest.refusal(root, [root / "s.csv", foreign]) is None
    demo.generate(inputs, root / "b.gpkg", root / "s.csv", [2020], root=root)
