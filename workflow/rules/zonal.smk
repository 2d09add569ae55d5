# Zonal statistics per unit and level (SPEC §5) on the run's unit assignment, per year.


rule zonal:
    message:
        "Zonal statistics of {wildcards.year} per finest unit ({params.mode} assignment)"
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
