"""``carbonbalance`` command line: checks that help before a run.

``carbonbalance config-reference`` prints the reference of every config key
(``docs/config.md``).  ``carbonbalance check-config my.yaml [more.yaml ...]`` reports a YAML syntax error with
its file, line and column (Snakemake's own loader says only that the file is not valid
YAML) and every schema error with its key, then exits non-zero; it prints ``ok`` when
the files are a valid configuration.  ``carbonbalance plan my.yaml [--years 2000-2021]
[--resolution 250]`` prints, before anything is submitted, the jobs per rule of that run,
their expected CPU-hours, the memory and runtime each job will ask for and the disk the
results take (``carbonbalance.core.resources``); the raster inputs need not exist yet, the
boundaries file must.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carbonbalance.core.config import SCHEMA, check_files, config_reference, load_schema


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="carbonbalance", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check-config", help="check config files (YAML syntax and the schema)")
    check.add_argument("configfiles", nargs="+", help="config files, layered in order as with --configfile")
    check.add_argument("--schema", default=str(SCHEMA), help="schema file (default: %(default)s)")
    ref = sub.add_parser("config-reference", help="print the markdown reference of every config key")
    ref.add_argument("--schema", default=str(SCHEMA), help="schema file (default: %(default)s)")
    pl = sub.add_parser("plan", help="jobs, CPU-hours, memory per job and disk of a run, before submitting it")
    pl.add_argument("configfiles", nargs="+", help="config files, layered in order as with --configfile")
    pl.add_argument("--years", help="override the config's years: 2000-2021 or 2019,2020")
    pl.add_argument("--resolution", type=float, help="override grid.resolution (grid CRS units, e.g. 250)")
    pl.add_argument("--workflow", default=".", help="the workflow folder (default: the current one)")
    pl.add_argument("--schema", default=str(SCHEMA), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "plan":
        return plan(args)
    if not Path(args.schema).exists():
        print(
            f"carbonbalance: schema {args.schema} not found; run from the workflow folder or pass --schema",
            file=sys.stderr,
        )
        return 2
    if args.command == "config-reference":
        print(config_reference(load_schema(args.schema)), end="")
        return 0
    problems = check_files(args.configfiles, args.schema)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print("ok")
    return 0


def _years(text: str) -> list[int]:
    if "-" in text:
        a, b = (int(v) for v in text.split("-"))
        return list(range(a, b + 1))
    return [int(v) for v in text.split(",")]


def _job_counts(stdout: str) -> dict[str, int]:
    """rule -> jobs from the 'Job stats' table of a Snakemake dry run."""
    import re

    counts, table = {}, False
    for line in stdout.splitlines():
        if line.startswith("Job stats"):
            table = True
        elif table:
            m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
            if m and m.group(1) != "total":
                counts[m.group(1)] = int(m.group(2))
    return counts


def plan(args) -> int:
    """``carbonbalance plan``: a dry run of the config (its raster and table inputs need not
    exist) and the resource table of its jobs."""
    import json
    import os
    import subprocess
    import tempfile

    import yaml

    from carbonbalance.core.resources import Scale, format_plan
    from carbonbalance.core.resources import plan as plan_rows

    workflow = Path(args.workflow).resolve()
    overlay = {}
    if args.years:
        overlay["years"] = _years(args.years)
    if args.resolution:
        overlay["grid"] = {"resolution": args.resolution}
    with tempfile.TemporaryDirectory() as tmp:
        extra = []
        if overlay:
            (Path(tmp) / "overlay.yaml").write_text(yaml.safe_dump(overlay))
            extra = [str(Path(tmp) / "overlay.yaml")]
        scale_file = Path(tmp) / "scale.json"
        cmd = [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--cores", "1", "--configfile",
               *[str(Path(c).resolve()) for c in args.configfiles], *extra]  # fmt: skip
        proc = subprocess.run(cmd, cwd=workflow, capture_output=True, text=True,
                              env={**os.environ, "CARBONBALANCE_PLAN": str(scale_file)})  # fmt: skip
        if proc.returncode != 0 or not scale_file.exists():
            print(
                f"carbonbalance plan: the dry run failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}", file=sys.stderr
            )
            return 1
        sizes = json.loads(scale_file.read_text())
        members = sizes.pop("members_by_rule", {})
        scale = Scale(**sizes)
    counts = _job_counts(proc.stdout)
    if not counts:
        print("carbonbalance plan: nothing to be done (every output is there)", file=sys.stderr)
        return 0
    title = "Plan for " + " + ".join(args.configfiles) + (f" with {overlay}" if overlay else "")
    print(format_plan(plan_rows(counts, scale, members), scale, title))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
