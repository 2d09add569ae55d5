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
            category=CATEGORY["budget"],
            subcategory="{year}",
            caption="../report/budget_map.rst",
            labels=labels("zones, CBI, ECC and ESC maps", level=table_levels()[0], year="{year}"),
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


rule budget_figures:
    input:
        budget=R("tables/budget_{level}.parquet"),
        lmdi=R("tables/lmdi_{level}.csv"),
        compensation=R("tables/compensation_{level}.csv"),
        units=R("boundaries/units.gpkg"),
    output:
        **{
            f"{name}_table": report(
                R(f"report/{name}_{{level}}.html"),
                category=CATEGORY["budget"],
                subcategory="{level}: tables",
                caption="../report/tables.rst",
                labels=labels(f"{name} table", level="{level}", year="all"),
            )
            for name in ("budget", "compensation", "lmdi")
        },
        trends=report(
            R("figures/budget_trends_{level}.png"),
            category=CATEGORY["budget"],
            subcategory="{level}: time series",
            caption="../report/budget_trends.rst",
            labels=labels("CE, CS, CB, CBI, ECC, ESC and zones over time", level="{level}", year="all"),
        ),
        lmdi=report(
            R("figures/lmdi_{level}.png"),
            category=CATEGORY["budget"],
            subcategory="{level}: time series",
            caption="../report/lmdi.rst",
            labels=labels("LMDI effects per period", level="{level}", year="periods"),
        ),
        compensation=report(
            R("figures/compensation_{level}.png"),
            category=CATEGORY["budget"],
            subcategory="{level}: compensation",
            caption="../report/compensation.rst",
            labels=labels("compensation classes and amounts", level="{level}", year="last"),
        ),
    log:
        L("budget_figures/{level}.log"),
    benchmark:
        L("benchmarks/budget_figures_{level}.tsv")
    wildcard_constraints:
        level="|".join(table_levels()),
    group:
        "figures"
    conda:
        ENV
    threads: need("budget_figures").threads
    resources:
        mem_mb=mem("budget_figures"),
        runtime=runtime("budget_figures"),
    params:
        level_id=lambda w: level_id(w.level),
        finest_id=cfg("boundaries", "levels")[0]["id"],
        outline=cfg("boundaries", "levels")[-1]["id"],
        group_column=lambda w: parent_group(w.level),
        group_name_column=lambda w: name_column(parent_group(w.level)),
        scheme=cfg("tables", "zoning", "schemes")[0],
        mass_unit=cfg("tables", "mass_unit"),
    message:
        "Time series, LMDI and compensation figures of the {wildcards.level} level"
    script:
        "../scripts/budget_figures.py"


rule budget_years:
    input:
        budget=R(f"tables/budget_{table_levels()[0]}.parquet"),
        units=R("boundaries/units.gpkg"),
    output:
        # one job draws them all: the table is read and the units' paths are built once
        **{
            v: report(
                R(f"figures/budget_years_{v}.png"),
                category=CATEGORY["budget"],
                subcategory="maps of the years",
                caption="../report/budget_years.rst",
                labels=labels(f"{v} by year, one scale", level=table_levels()[0], year="all"),
            )
            for v in budget_year_variables()
        },
    log:
        L("budget_years.log"),
    benchmark:
        L("benchmarks/budget_years.tsv")
    group:
        "figures"
    conda:
        ENV
    threads: need("budget_years").threads
    resources:
        mem_mb=mem("budget_years"),
        runtime=runtime("budget_years"),
    params:
        level=table_levels()[0],
        level_id=cfg("boundaries", "levels")[0]["id"],
        outline=cfg("boundaries", "levels")[-1]["id"],
    message:
        "Maps of the budget columns by {params.level}, one panel per year on one scale"
    script:
        "../scripts/budget_years.py"
