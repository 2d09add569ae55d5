"""Assertion helpers and paths shared by the tests of every stage."""

import re
from pathlib import Path

import numpy as np
import pytest
from runs import TEST  # noqa: F401  (the test run's config files, for the tests)

ROOT = Path(__file__).resolve().parents[1]


def assert_names(exc_info, *parts: str) -> None:
    """The error message names every one of ``parts`` (the file, unit, key or value at fault)."""
    text = str(exc_info.value)
    missing = [p for p in parts if p not in text]
    assert not missing, f"{missing} not named in: {text}"


def raises_naming(exc_type, *parts: str):
    """``pytest.raises`` whose message must contain every one of ``parts`` literally."""
    return pytest.raises(exc_type, match="(?s)" + "".join(f"(?=.*{re.escape(p)})" for p in parts))


def assert_chunk_invariant(run, chunks, rtol: float = 0.0, atol: float = 0.0) -> None:
    """``run(chunk)`` gives the same array (or tuple of arrays) for every chunk edge in ``chunks``."""
    ref = run(chunks[0])
    ref = ref if isinstance(ref, tuple) else (ref,)
    for c in chunks[1:]:
        got = run(c)
        got = got if isinstance(got, tuple) else (got,)
        for a, b in zip(ref, got):
            np.testing.assert_allclose(
                np.asarray(b), np.asarray(a), rtol=rtol, atol=atol, err_msg=f"chunk {c} differs from chunk {chunks[0]}"
            )


def assert_agrees_with_reference(ours, reference, rtol: float, atol: float = 0.0, what: str = "") -> None:
    """Our values against a reference library's on the same input, with the stated tolerance."""
    np.testing.assert_allclose(
        np.asarray(ours, dtype=float),
        np.asarray(reference, dtype=float),
        rtol=rtol,
        atol=atol,
        err_msg=f"disagrees with the reference library {what}",
    )


def planned_jobs(output: str) -> dict:
    """{rule: count} from the 'Job stats' table of a Snakemake dry run."""
    m = re.search(r"Job stats:\n(.*?)\n\n", output + "\n\n", re.S)
    if not m:
        return {}
    jobs = {}
    for line in m.group(1).splitlines()[2:]:
        parts = line.split()
        if len(parts) == 2 and parts[0] != "total":
            jobs[parts[0]] = int(parts[1])
    return jobs


def store_of_every_kind(tmp_path):
    """A store with a packed monthly variable, a lossless float, an integer class layer and a
    float with a numeric fill value, each with no data somewhere."""
    from carbonbalance.core.encoding import packing
    from carbonbalance.core.grid import GridSpec
    from carbonbalance.core.store import create_store, write_block

    grid = GridSpec.from_bounds("EPSG:3857", 1000, [0, 0, 40_000, 24_000], chunk=16)
    path = tmp_path / "s.zarr"
    variables = {
        "ndvi": {"dtype": "float32", "attrs": {"units": "1"}, "packing": packing("ndvi")},
        "population": {"dtype": "float32", "attrs": {"units": "persons"}},
        "landuse": {"dtype": "int32", "fill": -1, "attrs": {"units": "class"}},
        "depth": {"dtype": "float64", "fill": -9999.0, "attrs": {"units": "m"}},
    }
    create_store(path, grid, {k: v for k, v in variables.items() if k != "ndvi"})
    monthly = tmp_path / "m.zarr"
    create_store(monthly, grid, {"ndvi": variables["ndvi"]}, leading={"month": np.arange(1, 13)})
    rng = np.random.default_rng(3)
    ndvi = rng.uniform(-0.2, 0.95, (12,) + grid.shape).astype("float32")
    ndvi[:, 0, :5] = np.nan  # no month at all
    ndvi[3:7, 5, 5:9] = np.nan
    write_block(monthly, "ndvi", ndvi, slice(None), slice(None))
    pop = rng.lognormal(3, 1, grid.shape).astype("float32")
    pop[2, 2] = np.nan
    write_block(path, "population", pop, slice(None), slice(None))
    lu = rng.integers(11, 66, grid.shape).astype("int32")
    lu[4, :3] = -1
    write_block(path, "landuse", lu, slice(None), slice(None))
    depth = rng.uniform(0, 50, grid.shape)
    depth[7, 7] = -9999.0
    write_block(path, "depth", depth, slice(None), slice(None))
    return grid, {"ndvi": monthly, "population": path, "landuse": path, "depth": path}
