"""``carbonbalance`` command line: checks that help before a run.

``carbonbalance config-reference`` prints the reference of every config key
(``docs/config.md``).  ``carbonbalance check-config my.yaml [more.yaml ...]`` reports a YAML syntax error with
its file, line and column (Snakemake's own loader says only that the file is not valid
YAML) and every schema error with its key, then exits non-zero; it prints ``ok`` when
the files are a valid configuration.
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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
