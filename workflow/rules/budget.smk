# Budget, balance indices, zoning, compensation and LMDI tables per level (SPEC §6).


rule budget:
    input:
        zonal=R("zonal/{level}.parquet"),
        statistics=R("tables/statistics.parquet"),
        energy=R("tables/energy_accounting.parquet"),
        absorption=expand(R("tables/landuse_absorption_{year}.parquet"), year=years()),
    output:
        budget=R("tables/budget_{level}.csv"),
        budget_parquet=R("tables/budget_{level}.parquet"),
        compensation=R("tables/compensation_{level}.csv"),
        lmdi=R("tables/lmdi_{level}.csv"),
        meta=R("meta/tables_{level}.json"),
    log:
        L("budget/{level}.log"),
    benchmark:
        L("benchmarks/budget_{level}.tsv")
    wildcard_constraints:
        level="|".join(table_levels()),
    conda:
        ENV
    threads: need("budget").threads
    resources:
        mem_mb=mem("budget"),
        runtime=runtime("budget"),
    params:
        tables=cfg("tables"),
        parent=lambda w: parent_level(w.level),
        years=years(),
    message:
        "Carbon budget, zones, compensation and LMDI tables of the {wildcards.level} level"
    script:
        "../scripts/budget.py"


rule budget_map:
    input:
        budget=R(f"tables/budget_{table_levels()[0]}.parquet"),
        units=R("boundaries/units.gpkg"),
    output:
        report(
            R("figures/budget_{year}.png"),
            category="Budget",
            subcategory="{year}",
            caption="../report/budget_map.rst",
        ),
    log:
        L("budget_map/{year}.log"),
    benchmark:
        L("benchmarks/budget_map_{year}.tsv")
    conda:
        ENV
    threads: need("budget_map").threads
    resources:
        mem_mb=mem("budget_map"),
        runtime=runtime("budget_map"),
    params:
        level=table_levels()[0],
        level_id=cfg("boundaries", "levels")[0]["id"],
        outline=cfg("boundaries", "levels")[-1]["id"],
        scheme=cfg("tables", "zoning", "schemes")[0],
    message:
        "Maps of zones, CBI, ECC and ESC by {params.level} for {wildcards.year}"
    script:
        "../scripts/budget_map.py"
