"""The conda environment and the package list the same dependencies."""

import yaml
from conftest import ROOT


def test_env_file_lists_the_same_packages_as_pyproject():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "envs/carbonbalance.yaml").read_text())["dependencies"]
    name = lambda s: s.split(">")[0].split("=")[0].split("<")[0].strip().lower()
    assert {name(d) for d in deps} == {name(d) for d in env if isinstance(d, str)} - {"python"}
