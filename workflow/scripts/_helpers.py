"""Shared set-up for the workflow scripts: logging, thread limits, library import."""

import atexit
import contextlib
import importlib.util
import json
import logging
import os
import resource
import sys
import time
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
    if snakemake.log:
        atexit.register(_record_peak, snakemake, time.perf_counter(), log)
    return log


def dask_scheduler(snakemake):
    """The block-graph scheduler of a raster rule from the config's ``dask`` section (read
    from the config, not params: where a job computes does not change its results, so
    switching it reruns nothing), with the rule's threads and mem_mb."""
    from carbonbalance.core.blocks import DaskParams, scheduler

    params = DaskParams.from_config(snakemake.config.get("dask"))
    return scheduler(params, snakemake.threads, getattr(snakemake.resources, "mem_mb", None))


def _record_peak(snakemake, start: float, log) -> None:
    """The job's peak memory (the process high-water mark, what /usr/bin/time -v reports, not
    Snakemake's sampled figure) and wall time, beside its log as ``<log>.peak.json``; a
    warning when the peak exceeds the rule's declared mem_mb."""
    peak_mb = (
        max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        / 1024.0
    )
    mem_mb = getattr(snakemake.resources, "mem_mb", None)
    cpu = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )
    record = {
        "rule": snakemake.rule,
        "wildcards": dict(snakemake.wildcards),
        "threads": snakemake.threads,
        "seconds": round(time.perf_counter() - start, 3),
        "cpu_seconds": round(cpu, 3),
        "peak_mb": round(peak_mb, 1),
        "mem_mb": mem_mb,
    }
    Path(f"{snakemake.log[0]}.peak.json").write_text(json.dumps(record))
    if mem_mb and peak_mb > mem_mb:
        log.warning("peak memory %.0f MB exceeds the declared mem_mb %s of rule %s", peak_mb, mem_mb, snakemake.rule)


@contextlib.contextmanager
def timed(log, what: str):
    """Log how many seconds the block took (a figure's drawing, for the national benchmark)."""
    start = time.perf_counter()
    yield
    log.info("%s: %.1f s", what, time.perf_counter() - start)
