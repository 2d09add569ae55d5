# Ingest and alignment (SPEC §2): boundaries, the target grid, every raster on it,
# the statistics table, and the run metadata.


rule prepare_boundaries:
    message:
        "Checking the unit hierarchy of {input} and projecting it to the grid CRS"
    input:
        config["boundaries"]["path"],
    output:
        units="results/boundaries/units.gpkg",
        table="results/boundaries/units.parquet",
        meta="results/meta/prepare_boundaries.json",
    params:
        boundaries=config["boundaries"],
        crs=config["grid"]["crs"],
    log:
        "logs/prepare_boundaries.log",
    benchmark:
        "logs/benchmarks/prepare_boundaries.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/prepare_boundaries.py"


rule build_grid:
    message:
        "Building the target grid and its cell areas"
    input:
        "results/boundaries/units.gpkg",
    output:
        grid="results/aligned/grid.json",
        area=directory("results/aligned/cell_area.zarr"),
        meta="results/meta/build_grid.json",
    params:
        grid=config["grid"],
    log:
        "logs/build_grid.log",
    benchmark:
        "logs/benchmarks/build_grid.tsv"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/build_grid.py"


rule unit_assignment:
    message:
        "Assigning cells to the finest units (cell centres and exact coverage fractions)"
    input:
        grid="results/aligned/grid.json",
        units="results/boundaries/units.gpkg",
    output:
        assignment=directory("results/aligned/unit_assignment.zarr"),
        meta="results/meta/unit_assignment.json",
    params:
        levels=config["boundaries"]["levels"],
    log:
        "logs/unit_assignment.log",
    benchmark:
        "logs/benchmarks/unit_assignment.tsv"
    threads: 1
    resources:
        # benchmarks/zonal.py: China's ~2,870 counties at 1 km, one exactextract pass
        mem_mb=4000,
        runtime=20,
    conda:
        ENV
    script:
        "../scripts/unit_assignment.py"


rule align_monthly:
    message:
        "Aligning the 12 monthly {wildcards.var} rasters of {wildcards.year} onto the grid"
    input:
        grid="results/aligned/grid.json",
        rasters=lambda w: raw_paths(w.var, w.year),
    output:
        store=directory("results/aligned/{year}/{var}.zarr"),
        meta="results/meta/align_{var}_{year}.json",
    wildcard_constraints:
        var="|".join(MONTHLY),
    params:
        spec=lambda w: config["inputs"][w.var],
        classes=None,
    log:
        "logs/align/{var}_{year}.log",
    benchmark:
        "logs/benchmarks/align_{var}_{year}.tsv"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        ENV
    script:
        "../scripts/align.py"


use rule align_monthly as align_annual with:
    message:
        "Aligning the {wildcards.var} raster of {wildcards.year} onto the grid"
    wildcard_constraints:
        var="|".join(ANNUAL),
    params:
        spec=lambda w: config["inputs"][w.var],
        classes=lambda w: sorted(config.get(f"{w.var}_classes", {}), key=int)
        if w.var in ("landcover", "landuse")
        else None,


rule statistics:
    message:
        "Validating the statistics table {input.csv}"
    input:
        csv=config["statistics"]["path"],
        units="results/boundaries/units.parquet",
    output:
        table="results/tables/statistics.parquet",
        meta="results/meta/statistics.json",
    params:
        statistics=config["statistics"],
    log:
        "logs/statistics.log",
    benchmark:
        "logs/benchmarks/statistics.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        ENV
    script:
        "../scripts/statistics.py"


rule run_metadata:
    message:
        "Writing results/run_metadata.json"
    input:
        stage_metadata(),
    output:
        "results/run_metadata.json",
    params:
        config=config,
    log:
        "logs/run_metadata.log",
    benchmark:
        "logs/benchmarks/run_metadata.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        ENV
    script:
        "../scripts/run_metadata.py"
