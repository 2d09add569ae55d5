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
