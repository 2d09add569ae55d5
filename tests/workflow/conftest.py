"""The test run shared by the workflow tests: the demo region with config/test.yaml, run
once per session in a fresh copy of the workflow (what a user clones)."""

import time

import pytest
from conftest import copy_workflow, snakemake
from helpers import TEST


@pytest.fixture(scope="session")
def test_run(tmp_path_factory):
    """(workflow folder, seconds the run took)."""
    wf = copy_workflow(tmp_path_factory.mktemp("wf"))
    t0 = time.time()
    snakemake(wf, "--cores", "2", "--configfile", *TEST)
    return wf, time.time() - t0
