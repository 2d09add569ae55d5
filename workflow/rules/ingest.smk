# Ingest and alignment (SPEC §2): boundaries, the target grid, every raster on it,
# the statistics table, and the run metadata.


rule prepare_boundaries:
    input:
        cfg("boundaries", "path"),
    output:
        units=R("boundaries/units.gpkg"),
        table=R("boundaries/units.parquet"),
        meta=R("meta/prepare_boundaries.json"),
    log:
        L("prepare_boundaries.log"),
    benchmark:
        L("benchmarks/prepare_boundaries.tsv")
    group:
        "setup"
    conda:
        ENV
    threads: need("prepare_boundaries").threads
    resources:
        mem_mb=mem("prepare_boundaries"),
        runtime=runtime("prepare_boundaries"),
    params:
        boundaries=cfg("boundaries"),
        crs=cfg("grid", "crs"),
        statistics_level_column=cfg("statistics", "level_column"),
    message:
        "Checking the unit hierarchy of {input} and projecting it to the grid CRS"
    script:
        "../scripts/ingest_boundaries.py"


rule build_grid:
    input:
        R("boundaries/units.gpkg"),
    output:
        grid=R("aligned/grid.json"),
        area=directory(R("aligned/cell_area.zarr")),
        meta=R("meta/build_grid.json"),
    log:
        L("build_grid.log"),
    benchmark:
        L("benchmarks/build_grid.tsv")
    group:
        "setup"
    conda:
        ENV
    threads: need("build_grid").threads
    resources:
        mem_mb=mem("build_grid"),
        runtime=runtime("build_grid"),
    params:
        grid=cfg("grid"),
    message:
        "Building the target grid and its cell areas"
    script:
        "../scripts/ingest_grid.py"


rule unit_assignment:
    input:
        grid=R("aligned/grid.json"),
        units=R("boundaries/units.gpkg"),
    output:
        assignment=directory(R("aligned/unit_assignment.zarr")),
        meta=R("meta/unit_assignment.json"),
    log:
        L("unit_assignment.log"),
    benchmark:
        L("benchmarks/unit_assignment.tsv")
    group:
        "setup"
    conda:
        ENV
    threads: need("unit_assignment").threads
    resources:
        mem_mb=mem("unit_assignment"),
        runtime=runtime("unit_assignment"),
    params:
        levels=cfg("boundaries", "levels"),
    message:
        "Assigning cells to the finest units (cell centres and exact coverage fractions)"
    script:
        "../scripts/ingest_assignment.py"


rule align_monthly:
    input:
        grid=R("aligned/grid.json"),
        assignment=R("aligned/unit_assignment.zarr"),
        rasters=lambda w: source(raw_paths(w.var, w.year)),
        presets=lambda w: preset_files(w.var),
    output:
        store=directory(R("aligned/{year}/{var}.zarr")),
        meta=R("meta/align_{var}_{year}.json"),
    log:
        L("align/{var}_{year}.log"),
    benchmark:
        L("benchmarks/align_{var}_{year}.tsv")
    wildcard_constraints:
        var="|".join(MONTHLY),
    priority: 30
    group:
        "align"
    conda:
        ENV
    threads: need("align_monthly").threads
    resources:
        mem_mb=mem("align_monthly"),
        runtime=runtime("align_monthly"),
    params:
        spec=lambda w: cfg("inputs")[w.var],
        classes=None,
    message:
        "Aligning the 12 monthly {wildcards.var} rasters of {wildcards.year} onto the grid"
    script:
        "../scripts/ingest_align.py"


use rule align_monthly as align_annual with:
    wildcard_constraints:
        var="|".join(ANNUAL + OPTIONAL),
    resources:
        mem_mb=mem("align_annual"),
        runtime=runtime("align_annual"),
    params:
        spec=lambda w: cfg("inputs")[w.var],
        classes=lambda w: (
            sorted(config.get(f"{w.var}_classes", {}), key=int) if w.var in ("landcover", "landuse") else None
        ),
    message:
        "Aligning the {wildcards.var} raster of {wildcards.year} onto the grid"


rule statistics:
    input:
        csv=source(cfg("statistics", "path")),
        units=R("boundaries/units.parquet"),
    output:
        table=R("tables/statistics.parquet"),
        meta=R("meta/statistics.json"),
    log:
        L("statistics.log"),
    benchmark:
        L("benchmarks/statistics.tsv")
    conda:
        ENV
    threads: need("statistics").threads
    resources:
        mem_mb=mem("statistics"),
        runtime=runtime("statistics"),
    params:
        statistics=cfg("statistics"),
    message:
        "Validating the statistics table {input.csv}"
    script:
        "../scripts/ingest_statistics.py"


rule run_metadata:
    input:
        stage_metadata(),
    output:
        R("run_metadata.json"),
        page=report(
            R("report/run.html"),
            category=CATEGORY["run"],
            caption="../report/run.rst",
            labels=labels("run, inputs with checksums, versions", level="all", year="all"),
        ),
        summary=R("report/run_summary.rst"),
        checks=report(
            R("figures/input_checks.png"),
            category=CATEGORY["ingest"],
            caption="../report/input_checks.rst",
            labels=labels("input checks against plausible ranges", level="grid", year="all"),
        ),
        ingest=report(
            R("report/ingest.html"),
            category=CATEGORY["ingest"],
            caption="../report/stage_tables.rst",
            labels=labels("input checks table", level="grid", year="all"),
        ),
        casa=report(
            R("report/casa.html"),
            category=CATEGORY["casa"],
            subcategory="tables",
            caption="../report/stage_tables.rst",
            labels=labels("NPP by vegetation type and cells by status table", level="grid", year="all"),
        ),
        emissions=report(
            R("report/emissions.html"),
            category=CATEGORY["emissions"],
            subcategory="tables",
            caption="../report/stage_tables.rst",
            labels=labels("allocation totals and errors table", level="grid", year="all"),
        ),
    log:
        L("run_metadata.log"),
    benchmark:
        L("benchmarks/run_metadata.tsv")
    conda:
        ENV
    threads: need("run_metadata").threads
    resources:
        mem_mb=mem("run_metadata"),
        runtime=runtime("run_metadata"),
    params:
        config=config,
    message:
        "Writing results/run_metadata.json"
    script:
        "../scripts/ingest_metadata.py"
