"""Which files the demo generator created (standard library only: the workflow checks it
while Snakemake builds the DAG, before any job runs).

The generator writes only below its own folder (``demo.root``) and lists every file it
writes, with its SHA-256, in ``<root>/.carbonbalance-demo.json``.  A file at one of its
output paths that is not listed there was not created by it: it is never overwritten,
and the run stops naming it (Snakemake deletes a job's existing outputs before running
it, so this is checked when the workflow loads and again by the generator).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MANIFEST = ".carbonbalance-demo.json"


def sha256(path) -> str:
    """SHA-256 of a file, or of a folder's files (names and contents, e.g. an ESRI GRID)."""
    h = hashlib.sha256()
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            h.update(name.encode() + b"\0" + sha256(os.path.join(path, name)).encode())
        return h.hexdigest()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read(root: Path) -> dict:
    try:
        return json.loads((root / MANIFEST).read_text()).get("files", {})
    except (FileNotFoundError, ValueError):
        return {}


def _key(root: Path, path) -> str:
    return os.path.relpath(Path(path).resolve(), root.resolve())


def outside(root, paths) -> list[str]:
    """The paths that do not lie below ``root``."""
    root = Path(root).resolve()
    return [str(p) for p in paths if root not in Path(p).resolve().parents]


def foreign(root, paths) -> list[str]:
    """The existing files among ``paths`` that the generator did not create (not listed)."""
    root = Path(root)
    listed = _read(root)
    return [str(p) for p in paths if Path(p).exists() and _key(root, p) not in listed]


def changed(root, paths) -> list[str]:
    """Listed files whose content changed since the generator wrote them."""
    root = Path(root)
    listed = _read(root)
    return [str(p) for p in paths if Path(p).exists() and listed.get(_key(root, p)) not in (None, sha256(p))]


def record(root, paths) -> Path:
    """List ``paths`` (just written) with their SHA-256 in the manifest of ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    files = _read(root)
    files.update({_key(root, p): sha256(p) for p in paths})
    target = root / MANIFEST
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps({"generator": "carbonbalance.demo", "files": dict(sorted(files.items()))}, indent=1))
    os.replace(tmp, target)
    return target


def refusal(root, paths) -> str | None:
    """The message refusing to generate over ``paths`` (None when it is safe)."""
    bad = outside(root, paths)
    if bad:
        return f"the demo generator writes only below demo.root ({root}); these outputs lie outside it: {bad[:10]}"
    bad = foreign(root, paths)
    if bad:
        return (
            f"refusing to overwrite {len(bad)} file(s) the demo generator did not create: {bad[:10]} (they "
            f"are not listed in {Path(root) / MANIFEST}, where it records every file it writes); move them "
            f"away or point the demo at another demo.root"
        )
    return None
