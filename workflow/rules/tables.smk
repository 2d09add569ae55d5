# Budget, balance indices, zoning, compensation and LMDI tables per level (SPEC §6).


rule tables:
    message:
        "Carbon budget, zones, compensation and LMDI tables of the {wildcards.level} level"
    input:
        zonal="results/zonal/{level}.parquet",
        statistics="results/tables/statistics.parquet",
        energy="results/tables/energy_accounting.parquet",
        absorption=expand("results/tables/landuse_absorption_{year}.parquet", year=years()),
    output:
        budget="results/tables/budget_{level}.csv",
        budget_parquet="results/tables/budget_{level}.parquet",
        compensation="results/tables/compensation_{level}.csv",
        lmdi="results/tables/lmdi_{level}.csv",
        meta="results/meta/tables_{level}.json",
    params:
        tables=config["tables"],
        parent=lambda w: parent_level(w.level),
        years=years(),
    wildcard_constraints:
        level="|".join(table_levels()),
    log:
        "logs/tables/{level}.log",
    benchmark:
        "logs/benchmarks/tables_{level}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/tables.py"


rule budget_map:
    message:
        "Maps of zones, CBI, ECC and ESC by {params.level} for {wildcards.year}"
    input:
        budget=f"results/tables/budget_{table_levels()[0]}.parquet",
        units="results/boundaries/units.gpkg",
    output:
        report(
            "results/figures/budget_{year}.png",
            category="Budget",
            subcategory="{year}",
            caption="../report/budget_map.rst",
        ),
    params:
        level=table_levels()[0],
        level_id=config["boundaries"]["levels"][0]["id"],
        outline=config["boundaries"]["levels"][-1]["id"],
        scheme=config["tables"]["zoning"]["schemes"][0],
    log:
        "logs/budget_map/{year}.log",
    benchmark:
        "logs/benchmarks/budget_map_{year}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ENV
    script:
        "../scripts/budget_map.py"
