# Spatial econometrics (SPEC §8): the SDM panel models of a level, MGWR per level and year.


rule econometrics:
    input:
        budget=R("tables/budget_{level}.parquet"),
        statistics=R("tables/statistics.parquet"),
        zonal=R("zonal/{level}.parquet"),
        units=R("boundaries/units.gpkg"),
    output:
        coefficients=R("analysis/sdm_{level}.csv"),
        effects=R("analysis/sdm_effects_{level}.csv"),
        robustness_effects=R("analysis/sdm_robustness_effects_{level}.csv"),
        tests=R("analysis/sdm_tests_{level}.csv"),
        fit=R("analysis/sdm_fit_{level}.csv"),
        figure=report(
            R("figures/sdm_effects_{level}.png"),
            category=CATEGORY["econometrics"],
            subcategory="{level}",
            caption="../report/econometrics.rst",
            labels=labels("SDM effects with 95 % intervals", level="{level}", year="all"),
        ),
        table=report(
            R("report/sdm_{level}.html"),
            category=CATEGORY["econometrics"],
            subcategory="{level}: tables",
            caption="../report/tables.rst",
            labels=labels("SDM effects, tests, fit and coefficients table", level="{level}", year="all"),
        ),
        meta=R("meta/econometrics_{level}.json"),
    log:
        L("econometrics/{level}.log"),
    benchmark:
        L("benchmarks/econometrics_{level}.tsv")
    wildcard_constraints:
        level="|".join(table_levels()),
    priority: 20
    conda:
        ENV
    threads: need("econometrics").threads
    resources:
        mem_mb=mem("econometrics"),
        runtime=runtime("econometrics"),
    params:
        cfg=cfg("econometrics", drop=("levels", "mgwr")),
        level_id=lambda w: level_id(w.level),
    message:
        "Spatial panel models (OLS, SLM, SEM, SDM) and robustness runs of the {wildcards.level} level"
    script:
        "../scripts/econometrics.py"


rule mgwr:
    input:
        budget=R("tables/budget_{level}.parquet"),
        statistics=R("tables/statistics.parquet"),
        zonal=R("zonal/{level}.parquet"),
        units=R("boundaries/units.gpkg"),
    output:
        summary=R("analysis/mgwr_{level}_{year}.csv"),
        local=R("analysis/mgwr_local_{level}_{year}.csv"),
        meta=R("meta/mgwr_{level}_{year}.json"),
    log:
        L("mgwr/{level}_{year}.log"),
    benchmark:
        L("benchmarks/mgwr_{level}_{year}.tsv")
    wildcard_constraints:
        level="|".join(table_levels()),
        year=r"\d{4}",
    # the longest per-year jobs start first, so that the critical path is not left for last
    priority: 50
    conda:
        ENV
    # the local fits run on the job's threads (a national county year: about 15 s on 2)
    threads: need("mgwr").threads
    resources:
        mem_mb=mem("mgwr"),
        runtime=runtime("mgwr"),
    params:
        y=cfg("econometrics", "mgwr", "y") or cfg("econometrics", "y"),
        x=cfg("econometrics", "mgwr", "x") or cfg("econometrics", "x"),
        cfg=cfg("econometrics", "mgwr"),
        level_id=lambda w: level_id(w.level),
    message:
        "MGWR of the {wildcards.level} level, {wildcards.year}"
    script:
        "../scripts/econometrics_mgwr.py"


# the maps of a fit are a figure job of their own, so that the model's time is the model's
rule mgwr_map:
    input:
        summary=R("analysis/mgwr_{level}_{year}.csv"),
        local=R("analysis/mgwr_local_{level}_{year}.csv"),
        units=R("boundaries/units.gpkg"),
    output:
        figure=report(
            R("figures/mgwr_{level}_{year}.png"),
            category=CATEGORY["econometrics"],
            subcategory="{year}",
            caption="../report/econometrics.rst",
            labels=labels("MGWR coefficient maps", level="{level}", year="{year}"),
        ),
        table=report(
            R("report/mgwr_{level}_{year}.html"),
            category=CATEGORY["econometrics"],
            subcategory="{year}",
            caption="../report/tables.rst",
            labels=labels("MGWR summary table", level="{level}", year="{year}"),
        ),
    log:
        L("mgwr/{level}_{year}_map.log"),
    benchmark:
        L("benchmarks/mgwr_map_{level}_{year}.tsv")
    wildcard_constraints:
        level="|".join(table_levels()),
        year=r"\d{4}",
    conda:
        ENV
    threads: need("mgwr_map").threads
    resources:
        mem_mb=mem("mgwr_map"),
        runtime=runtime("mgwr_map"),
    params:
        level_id=lambda w: level_id(w.level),
    message:
        "Maps of the MGWR coefficients of the {wildcards.level} level, {wildcards.year}"
    script:
        "../scripts/econometrics_mgwr_map.py"
