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
        shapes=R("boundaries/units.gpkg"),
    output:
        **{lvl: R(f"zonal/{lvl}.parquet") for lvl in zonal_levels()},
        **{
            f"{lvl}_table": report(
                R(f"report/zonal_{lvl}.html"),
                category=CATEGORY["zonal"],
                caption="../report/zonal.rst",
                labels=labels("sums and means per unit table", level=lvl, year="all"),
            )
            for lvl in zonal_levels()
        },
        figure=report(
            R("figures/zonal_means.png"),
            category=CATEGORY["zonal"],
            caption="../report/zonal_map.rst",
            labels=labels("mean NPP and NEP, emission density per unit", level=table_levels()[0], year="last"),
        ),
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
        outline=cfg("boundaries", "levels")[-1]["id"],
    message:
        "Zonal tables of every level, aggregated from the finest units"
    script:
        "../scripts/zonal_levels.py"
