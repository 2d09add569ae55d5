"""What each rule's job needs: threads, memory, wall time and disk, as functions of the run's
size (grid cells, units, years).

One table, :data:`NEEDS`, is read by the rules (``threads``, ``resources.mem_mb`` and
``resources.runtime`` in ``workflow/rules/*.smk`` through ``workflow/rules/common.smk``) and by
``carbonbalance plan``, which prints what a configuration will ask of a cluster before it is
submitted.  The coefficients come from the national benchmark (``benchmarks/README.md``: every
county of China at 1 km, 26.7 M cells, 2,870 units, 2 years, 2 cores, measured 2026-12-01) and
from the test run (the demo region at 3 km): per job, its wall seconds, its process high-water
mark (``ru_maxrss``) and the size of its outputs.  They are linear in the cells a job reads
(memory and time of the raster rules), in the units and unit-years of the table rules, and
quadratic in the units for MGWR, whose smoother products are N x N.

Only the standard library: the workflow imports this module before the package's
dependencies are known to be there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the national benchmark's run, the scale the coefficients were measured at
NATIONAL_CELLS = 26.7e6
NATIONAL_UNITS = 2870

#: declared memory covers the measured peak at the national scale at least this many times
MEMORY_MARGIN = 1.25
#: declared runtime (SLURM -t) is this many times the expected wall time (slower nodes,
#: a busy file system), and at least RUNTIME_FLOOR_MIN minutes
RUNTIME_MARGIN = 3.0
RUNTIME_FLOOR_MIN = 10

#: the rules that can run their blocks on a dask distributed cluster (config ``dask``)
DASK_RULES = frozenset(
    {
        "align_monthly",
        "align_annual",
        "casa",
        "emissions",
        "zonal",
        "ensemble_casa",
        "ensemble_casa_batch",
        "ensemble_emissions_nightlight",
        "ensemble_emissions_multisource",
        "ensemble_zonal",
    }
)
#: memory of one worker process of a dask ``LocalCluster`` before it holds a block (Python,
#: numpy, numba, xarray, rasterio and distributed imported; measured 360 MB), which a job
#: with ``dask.scheduler: local`` declares on top of its threaded need, per worker
DASK_WORKER_MB = 500


@dataclass(frozen=True)
class Scale:
    """The size of a run: grid cells, units of the finest level, years."""

    cells: float
    units: float
    years: int
    members: int = 1  # ensemble members computed by one job

    @property
    def mcells(self) -> float:
        return self.cells / 1e6

    @property
    def kunits(self) -> float:
        return self.units / 1e3


@dataclass(frozen=True)
class Need:
    """One rule's job.  Memory in MB, time in seconds, disk in MB, each ``base`` plus terms
    per million cells (``*_mcell``), per thousand units (``*_kunit``), per thousand
    unit-years (``*_kunit_year``: rules that read every year at once) and per million
    unit pairs (``*_kunit2``: N x N products).  ``cell_years`` marks a rule that reads the
    grids of every year one after the other (its time and disk per cell are per year, its
    memory is not)."""

    threads: int = 1
    mem_base: float = 500.0
    mem_mcell: float = 0.0
    mem_kunit: float = 0.0
    mem_kunit_year: float = 0.0
    mem_kunit2: float = 0.0
    sec_base: float = 3.0
    sec_mcell: float = 0.0
    sec_kunit: float = 0.0
    sec_kunit_year: float = 0.0
    sec_kunit2: float = 0.0
    disk_mcell: float = 0.0
    disk_kunit_year: float = 0.0
    cell_years: bool = False
    # ensemble jobs: per member computed, per million cells and per thousand unit-years
    mem_member_mcell: float = 0.0
    mem_member_kunit_year: float = 0.0
    sec_member_mcell: float = 0.0
    sec_member_kunit_year: float = 0.0
    disk_member_mcell: float = 0.0

    def _terms(self, base, mcell, kunit, kunit_year, kunit2, s: Scale, per_year: bool = False) -> float:
        cells = s.mcells * (s.years if per_year and self.cell_years else 1)
        return base + mcell * cells + kunit * s.kunits + kunit_year * s.kunits * s.years + kunit2 * s.kunits**2

    def mem_mb(self, s: Scale, dask_workers: int = 0) -> int:
        """Declared memory (``mem_mb``) of one job; ``dask_workers`` local dask worker
        processes (``dask.scheduler: local``) add :data:`DASK_WORKER_MB` each."""
        terms = self._terms(self.mem_base, self.mem_mcell, self.mem_kunit, self.mem_kunit_year, self.mem_kunit2, s)
        terms += s.members * (self.mem_member_mcell * s.mcells + self.mem_member_kunit_year * s.kunits * s.years)
        return int(math.ceil(terms)) + DASK_WORKER_MB * dask_workers

    def seconds(self, s: Scale) -> float:
        """Expected wall seconds of one job on ``threads`` cores (the benchmark's machine)."""
        return self._terms(
            self.sec_base, self.sec_mcell, self.sec_kunit, self.sec_kunit_year, self.sec_kunit2, s, per_year=True
        ) + s.members * (self.sec_member_mcell * s.mcells + self.sec_member_kunit_year * s.kunits * s.years)

    def runtime_min(self, s: Scale) -> int:
        """Declared runtime in minutes (``runtime``, SLURM ``-t``)."""
        return max(RUNTIME_FLOOR_MIN, int(math.ceil(RUNTIME_MARGIN * self.seconds(s) / 60)))

    def disk_mb(self, s: Scale) -> float:
        """Size of one job's outputs."""
        cells = s.mcells * (s.years if self.cell_years else 1)
        return (
            self.disk_mcell * cells
            + self.disk_kunit_year * s.kunits * s.years
            + self.disk_member_mcell * s.members * s.mcells
        )


# National benchmark, per job (wall s; peak MB): the comment of each line.  Times are the
# job's own wall seconds (Python start-up and imports included, about 3 s).
NEEDS: dict[str, Need] = {
    # the demo generator: the demo region only
    "demo_inputs": Need(threads=1, mem_base=2000, sec_base=20),
    # 7.2 s; 728 MB: reading, checking and projecting 2,870 polygons
    "prepare_boundaries": Need(threads=1, mem_base=500, mem_kunit=250, sec_base=3, sec_kunit=1.5, disk_kunit_year=0),
    # 2.1 s; 485 MB; cell areas, and the regridding weights that the first alignments of each
    # source grid store (280 MB for the benchmark's inputs) counted here, once per run
    "build_grid": Need(threads=2, mem_base=600, mem_mcell=10, sec_base=2, sec_mcell=0.01, disk_mcell=11.1),
    # 5.1 s; 1151 MB: one exactextract pass over the finest units
    "unit_assignment": Need(threads=1, mem_base=600, mem_mcell=40, sec_base=3, sec_mcell=0.08, disk_mcell=1.5),
    # 12.9 s mean, 17.8 s max; 1073 MB; NDVI 404 MB, the other three 37 MB each
    "align_monthly": Need(threads=2, mem_base=950, mem_mcell=20, sec_base=3, sec_mcell=0.42, disk_mcell=4.8),
    # 5.6 s mean, 12.8 s max (population: sum resampling); 692 MB; 12 MB each
    "align_annual": Need(threads=2, mem_base=950, mem_mcell=20, sec_base=3, sec_mcell=0.37, disk_mcell=0.47),
    # 0.7 s; 217 MB
    "statistics": Need(threads=1, mem_base=1000, sec_base=2, sec_kunit_year=0.05),
    # 44.9 s; 1156 MB; casa_monthly 559 MB (zstd 2 and 3), annual COGs 219 MB; 0.69 of the
    # time the last round in the same hour (47.1 against 68.5 s)
    "casa": Need(threads=2, mem_base=900, mem_mcell=30, sec_base=4, sec_mcell=1.6, disk_mcell=29.2),
    # 28 s; figure
    "casa_map": Need(threads=1, mem_base=700, mem_mcell=25, sec_base=3, sec_mcell=1.0),
    # 9.1 s; 1050 MB; 139 MB of emission grids
    "emissions": Need(threads=2, mem_base=800, mem_mcell=25, sec_base=3, sec_mcell=0.25, disk_mcell=5.2),
    # 65 s; figure
    "emissions_map": Need(threads=1, mem_base=700, mem_mcell=30, sec_base=3, sec_mcell=2.3),
    # 0.9 s; 255 MB
    "energy_accounting": Need(threads=1, mem_base=1000, sec_base=2, sec_kunit_year=0.05),
    # 2.3 s; 606 MB
    "landuse_absorption": Need(threads=2, mem_base=600, mem_mcell=10, sec_base=2, sec_mcell=0.02),
    # the inventory's window over the region (EDGAR 0.1 deg over China: 0.3 M cells)
    "emission_inventory": Need(threads=1, mem_base=2000, sec_base=20),
    # 19.1 s; 1844 MB; read through StoreReader since: 11.6 s and 1025 MB against 34.8 s and
    # 1861 MB for the previous code in the same hour
    "zonal": Need(threads=2, mem_base=1200, mem_mcell=45, sec_base=3, sec_mcell=0.6, disk_kunit_year=0.5),
    # 1.0 s; 266 MB
    "zonal_levels": Need(threads=1, mem_base=2000, sec_base=2, sec_kunit_year=0.1, disk_kunit_year=1.0),
    # 0.6 s; 220 MB
    "budget": Need(threads=1, mem_base=2000, sec_base=2, sec_kunit_year=0.05, disk_kunit_year=0.5),
    # 131 s; figure, 4 panels of every unit
    "budget_map": Need(threads=1, mem_base=2000, mem_kunit=100, sec_base=3, sec_kunit=45),
    # 6.0-6.3 s; 434 MB: three figures of a level (time series, LMDI bars, compensation map)
    # and its three table pages
    "budget_figures": Need(threads=1, mem_base=2000, mem_kunit=100, sec_base=5, sec_kunit=5, sec_kunit_year=0.2),
    # 4.7-5.1 s a figure (9 figures: CE, CS, CB, CBI, ECC, ESC, 3 zoning schemes) in one job;
    # 416 MB: up to six years of each budget column on one scale
    "budget_years": Need(threads=1, mem_base=2000, mem_kunit=100, sec_base=5, sec_kunit=14),
    # 19.0 s (2 years; T = 22: weights 2.9 s, 1.1 s a year, tables 22 s); 1166 MB
    "spatial": Need(
        threads=1, mem_base=2500, mem_kunit=50, mem_kunit_year=5, sec_base=5, sec_kunit=3, sec_kunit_year=1.5
    ),  # fmt: skip
    # 5 s; all years' emission grids
    "centre_of_gravity": Need(threads=1, mem_base=600, mem_mcell=10, sec_base=2, sec_mcell=0.05, cell_years=True),
    # 10 s; 1.45 GB with its map
    "hotspots": Need(threads=1, mem_base=800, mem_mcell=40, sec_base=3, sec_mcell=0.3),
    # 19.9 s (2 years; T = 22: 13.9 s); 1217 MB
    "econometrics": Need(
        threads=1, mem_base=3000, mem_kunit=100, mem_kunit_year=5, sec_base=8, sec_kunit=2, sec_kunit_year=0.5
    ),  # fmt: skip
    # 43.9 s a year; 1403 MB: N x N row blocks and low-rank factors
    "mgwr": Need(threads=2, mem_base=3000, mem_kunit2=60, sec_base=3, sec_kunit2=5),
    # about 125 s a year; figure
    "mgwr_map": Need(threads=1, mem_base=2000, mem_kunit=100, sec_base=3, sec_kunit=43),
    # 0.7 s; 220 MB
    "run_metadata": Need(threads=1, mem_base=500, sec_base=2),
    # ensembles (SPEC §9), per member computed by the job. εmax members of one year in one CASA
    # pass (benchmarks/ensemble.py, 2026-12-02): 100 members 291 s, 2253 MB, 133 MB of rasters a
    # member; 20 members 73 s, 1579 MB (an open member raster holds 1.5 MB of zstd context)
    "ensemble_casa_batch": Need(
        threads=2,
        mem_base=1200,
        mem_mcell=35,
        sec_base=4,
        sec_mcell=1.8,
        mem_member_mcell=0.4,
        sec_member_mcell=0.09,
        disk_member_mcell=5.0,
    ),  # fmt: skip
    # zonal sums of the members' changed layers, one year
    "ensemble_zonal": Need(
        threads=2, mem_base=1200, mem_mcell=45, sec_base=3, sec_mcell=0.1, sec_member_mcell=0.25
    ),  # fmt: skip
    # levels, energy accounting, absorption and the budget tables of every member
    "ensemble_tables": Need(
        threads=1,
        mem_base=2000,
        mem_kunit_year=2,
        mem_member_kunit_year=1.0,
        sec_base=3,
        sec_member_kunit_year=0.1,
        disk_kunit_year=0.5,
    ),  # fmt: skip
    # intervals, zone stability, sensitivity, Moran's I and Dagum of every member; two figures
    # (every member's budget rows of a level at once: about 1.5 MB per member and 1,000 unit-years)
    "ensemble_summary": Need(
        threads=1,
        mem_base=2000,
        mem_kunit_year=5,
        mem_member_kunit_year=1.5,
        sec_base=8,
        sec_kunit=5,
        sec_member_kunit_year=0.05,
    ),  # fmt: skip
}
# an ensemble's variants run through the baseline's rules (use rule ... with a member wildcard)
NEEDS |= {f"ensemble_{rule}": NEEDS[rule] for rule in ("casa", "landuse_absorption")}
NEEDS |= {f"ensemble_emissions_{method}": NEEDS["emissions"] for method in ("nightlight", "multisource")}


def dask_workers(rule: str, scheduler: str) -> int:
    """Worker processes a job of ``rule`` starts itself: its threads on a ``local`` dask
    cluster, none otherwise (threads, or a running scheduler's own workers)."""
    return need(rule).threads if scheduler == "local" and rule in DASK_RULES else 0


def need(rule: str) -> Need:
    """The table's line of ``rule`` (a KeyError names the rule)."""
    try:
        return NEEDS[rule]
    except KeyError:
        raise KeyError(f"rule {rule!r} has no line in carbonbalance.core.resources.NEEDS") from None


@dataclass(frozen=True)
class PlanRow:
    rule: str
    jobs: int
    threads: int
    seconds: float  # expected wall seconds per job
    cpu_hours: float
    mem_mb: int  # declared per job
    runtime_min: int  # declared per job
    disk_gb: float


def plan(jobs: dict[str, int], scale: Scale, members: dict | None = None) -> list[PlanRow]:
    """Per rule of a run's DAG (``jobs``: rule -> number of jobs): expected seconds and
    CPU-hours, declared memory and runtime per job, and the disk its outputs take
    (``members``: rule -> ensemble members one of its jobs computes)."""
    import dataclasses

    rows = []
    for rule, n in sorted(jobs.items()):
        if rule == "all":
            continue
        nd = need(rule)
        s = dataclasses.replace(scale, members=int((members or {}).get(rule, 1)))
        sec = nd.seconds(s)
        rows.append(PlanRow(rule, n, nd.threads, sec, n * sec * nd.threads / 3600, nd.mem_mb(s),
                            nd.runtime_min(s), n * nd.disk_mb(s) / 1e3))  # fmt: skip
    return rows


def format_plan(rows: list[PlanRow], scale: Scale, title: str) -> str:
    """The plan as a markdown table with a total line."""
    out = [
        f"{title}: {scale.years} years, {scale.cells / 1e6:,.1f} M grid cells, {scale.units:,.0f} units",
        "",
        "| rule | jobs | threads | expected s per job | CPU-hours | mem_mb per job | runtime per job (min) | disk GB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(f"| {r.rule} | {r.jobs} | {r.threads} | {r.seconds:,.0f} | {r.cpu_hours:,.2f} | {r.mem_mb:,} | "
                   f"{r.runtime_min} | {r.disk_gb:,.1f} |")  # fmt: skip
    cpu = sum(r.cpu_hours for r in rows)
    wall = sum(r.jobs * r.seconds for r in rows) / 3600
    big = max(rows, key=lambda r: r.mem_mb)
    out += [
        f"| **total** | {sum(r.jobs for r in rows):,} | | | **{cpu:,.1f}** | **{big.mem_mb:,}** ({big.rule}) | "
        f"| **{sum(r.disk_gb for r in rows):,.1f}** |",
        "",
        f"Job hours one after the other: {wall:,.1f} h; CPU-hours {cpu:,.1f}; largest job {big.mem_mb / 1e3:,.1f} GB "
        f"({big.rule}); disk of the results {sum(r.disk_gb for r in rows):,.1f} GB (figures and logs not counted).",
    ]
    return "\n".join(out)
