"""Compare two results folders byte for byte, except timestamps.

    python tools/compare_results.py results/demo /tmp/before/results/demo

Every file must exist in both and have the same bytes, with two exceptions that carry
the time of the run: ``run_metadata.json`` is compared without its ``created`` field, the
report's run pages (``report/run.html``, ``report/run_summary.rst``) with their ISO
timestamps masked, and GeoPackages as SQL dumps with their ISO timestamps
(``gpkg_contents``'s ``last_change``) masked.  Exits 1 and lists the files that differ.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from pathlib import Path

_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")


def _gpkg(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _TIME.sub("<time>", "\n".join(con.iterdump()))
    finally:
        con.close()


def _metadata(path: Path) -> dict:
    meta = json.loads(path.read_text())
    meta.pop("created", None)
    return meta


def same(a: Path, b: Path) -> bool:
    """Whether two files are equal up to the timestamps of the run."""
    if a.name == "run_metadata.json":
        return _metadata(a) == _metadata(b)
    if a.suffix == ".gpkg":
        return _gpkg(a) == _gpkg(b)
    if a.name in ("run.html", "run_summary.rst"):
        return _TIME.sub("<time>", a.read_text()) == _TIME.sub("<time>", b.read_text())
    return a.read_bytes() == b.read_bytes()


def _files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}


def compare(first: Path, second: Path) -> list[str]:
    """Relative paths that are missing on one side or differ (empty = identical)."""
    fa, fb = _files(first), _files(second)
    problems = [f"only in {first}: {k}" for k in sorted(set(fa) - set(fb))]
    problems += [f"only in {second}: {k}" for k in sorted(set(fb) - set(fa))]
    problems += [f"differs: {k}" for k in sorted(set(fa) & set(fb)) if not same(fa[k], fb[k])]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    first, second = map(Path, argv)
    problems = compare(first, second)
    n = len(_files(first))
    for p in problems:
        print(p)
    print(f"{n} files in {first}: " + ("identical except timestamps" if not problems else f"{len(problems)} differ"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
