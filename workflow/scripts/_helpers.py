"""Shared set-up for the workflow scripts: logging, thread limits, library import."""

import importlib.util
import logging
import os
import sys
from pathlib import Path

# Parallelism comes from dask (num_workers = rule threads); numba kernels stay serial.
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

if importlib.util.find_spec("carbonbalance") is None:  # pragma: no cover - conda users: the checkout's library
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))


def setup(snakemake) -> logging.Logger:
    """Log to the rule's log file (and stderr); record uncaught errors there too."""
    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        Path(snakemake.log[0]).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(snakemake.log[0], mode="w"))
    logging.basicConfig(
        level=logging.INFO, handlers=handlers, force=True, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.captureWarnings(True)
    log = logging.getLogger(f"carbonbalance.rule.{snakemake.rule}")

    def excepthook(exc_type, exc, tb):
        log.error("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = excepthook
    log.info("rule %s, wildcards %s, threads %s", snakemake.rule, dict(snakemake.wildcards), snakemake.threads)
    return log
