# Zonal statistics per unit and level (SPEC §5): coverage built once, applied per year.


rule coverage:
    message:
        "Cell-centre labels and exact coverage fractions of the finest units"
    input:
        grid="results/aligned/grid.json",
        units="results/boundaries/units.gpkg",
    output:
        coverage=directory("results/zonal/coverage.zarr"),
        meta="results/meta/coverage.json",
    params:
        finest=config["boundaries"]["levels"][0]["id"],
    log:
        "logs/coverage.log",
    benchmark:
        "logs/benchmarks/coverage.tsv"
    threads: 1
    resources:
        # benchmarks/zonal.py: China's ~2,870 counties at 1 km, one exactextract pass
        mem_mb=4000,
        runtime=20,
    conda:
        ENV
    script:
        "../scripts/zonal_coverage.py"


rule zonal:
    message:
        "Zonal statistics of {wildcards.year} per finest unit ({params.mode} coverage)"
    input:
        unpack(zonal_inputs),
    output:
        table="results/zonal/{year}/finest.parquet",
        meta="results/meta/zonal_{year}.json",
    params:
        mode=config["zonal"]["mode"],
        landuse_codes=sorted(int(c) for c in config["landuse_classes"]),
    log:
        "logs/zonal/{year}.log",
    benchmark:
        "logs/benchmarks/zonal_{year}.tsv"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        ENV
    script:
        "../scripts/zonal.py"


rule zonal_levels:
    message:
        "Zonal tables of every level, aggregated from the finest units"
    input:
        tables=expand("results/zonal/{year}/finest.parquet", year=years()),
        units="results/boundaries/units.parquet",
    output:
        **{lvl: f"results/zonal/{lvl}.parquet" for lvl in zonal_levels()},
        meta="results/meta/zonal_levels.json",
    params:
        levels=[(lvl["name"], lvl["id"]) for lvl in config["boundaries"]["levels"]],
    log:
        "logs/zonal_levels.log",
    benchmark:
        "logs/benchmarks/zonal_levels.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/zonal_levels.py"
