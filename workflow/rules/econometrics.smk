# Spatial econometrics (SPEC §8): the SDM panel models of a level, MGWR per level and year.


rule econometrics:
    message:
        "Spatial panel models (OLS, SLM, SEM, SDM) and robustness runs of the {wildcards.level} level"
    input:
        budget="results/tables/budget_{level}.parquet",
        statistics="results/tables/statistics.parquet",
        zonal="results/zonal/{level}.parquet",
        units="results/boundaries/units.gpkg",
    output:
        coefficients="results/analysis/sdm_{level}.csv",
        effects="results/analysis/sdm_effects_{level}.csv",
        robustness_effects="results/analysis/sdm_robustness_effects_{level}.csv",
        tests="results/analysis/sdm_tests_{level}.csv",
        fit="results/analysis/sdm_fit_{level}.csv",
        figure=report("results/figures/sdm_effects_{level}.png", category="Spatial econometrics",
                      caption="../report/econometrics.rst"),
        meta="results/meta/econometrics_{level}.json",
    params:
        cfg={k: v for k, v in config["econometrics"].items() if k not in ("levels", "mgwr")},
        level_id=lambda w: level_id(w.level),
    wildcard_constraints:
        level="|".join(table_levels()),
    log:
        "logs/econometrics/{level}.log",
    benchmark:
        "logs/benchmarks/econometrics_{level}.tsv"
    threads: 1
    resources:
        # dense N × N algebra: 2,870 counties need about 1 GB
        mem_mb=3000,
        runtime=30,
    conda:
        ENV
    script:
        "../scripts/econometrics.py"


rule mgwr:
    message:
        "MGWR of the {wildcards.level} level, {wildcards.year}"
    input:
        budget="results/tables/budget_{level}.parquet",
        statistics="results/tables/statistics.parquet",
        zonal="results/zonal/{level}.parquet",
        units="results/boundaries/units.gpkg",
    output:
        summary="results/analysis/mgwr_{level}_{year}.csv",
        local="results/analysis/mgwr_local_{level}_{year}.csv",
        figure=report("results/figures/mgwr_{level}_{year}.png", category="Spatial econometrics",
                      subcategory="{year}", caption="../report/econometrics.rst"),
        meta="results/meta/mgwr_{level}_{year}.json",
    params:
        y=config["econometrics"]["mgwr"]["y"] or config["econometrics"]["y"],
        x=config["econometrics"]["mgwr"]["x"] or config["econometrics"]["x"],
        cfg=config["econometrics"]["mgwr"],
        level_id=lambda w: level_id(w.level),
    wildcard_constraints:
        level="|".join(table_levels()),
        year=r"\d{4}",
    log:
        "logs/mgwr/{level}_{year}.log",
    benchmark:
        "logs/benchmarks/mgwr_{level}_{year}.tsv"
    # mgwr uses one process below 500 units; for China's counties give it more with
    # --set-threads mgwr=8 (the bandwidth searches then run on 8 processes)
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        ENV
    script:
        "../scripts/mgwr.py"
