# Zonal statistics per unit and level (SPEC §5) on the run's unit assignment, per year.


rule zonal:
    input:
        unpack(zonal_inputs),
    output:
        table=R("zonal/{year}/finest.parquet"),
        meta=R("meta/zonal_{year}.json"),
    log:
        L("zonal/{year}.log"),
    benchmark:
        L("benchmarks/zonal_{year}.tsv")
    priority: 20
    group:
        "year"
    conda:
        ENV
    threads: need("zonal").threads
    resources:
        mem_mb=mem("zonal"),
        runtime=runtime("zonal"),
    params:
        mode=cfg("zonal", "mode"),
        landuse_codes=sorted(int(c) for c in cfg("landuse_classes")),
    message:
        "Zonal statistics of {wildcards.year} per finest unit ({params.mode} assignment)"
    script:
        "../scripts/zonal.py"


rule zonal_levels:
    input:
        tables=expand(R("zonal/{year}/finest.parquet"), year=years()),
        units=R("boundaries/units.parquet"),
    output:
        **{lvl: R(f"zonal/{lvl}.parquet") for lvl in zonal_levels()},
        meta=R("meta/zonal_levels.json"),
    log:
        L("zonal_levels.log"),
    benchmark:
        L("benchmarks/zonal_levels.tsv")
    conda:
        ENV
    threads: need("zonal_levels").threads
    resources:
        mem_mb=mem("zonal_levels"),
        runtime=runtime("zonal_levels"),
    params:
        levels=[(lvl["name"], lvl["id"]) for lvl in cfg("boundaries", "levels")],
    message:
        "Zonal tables of every level, aggregated from the finest units"
    script:
        "../scripts/zonal_levels.py"
