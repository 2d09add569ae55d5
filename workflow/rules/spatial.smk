# Spatial statistics and inequality (SPEC §7): per level, the emission centre, hot spots.


rule spatial:
    input:
        budget=R("tables/budget_{level}.parquet"),
        units=R("boundaries/units.gpkg"),
    output:
        **{
            name: R(f"analysis/{{level}}/{name}.csv")
            for name in ("moran", "lisa", "getis_ord", "kde", "dagum", "dagum_groups")
        },
        moran_lisa=report(
            R("figures/moran_lisa_{level}.png"),
            category=CATEGORY["spatial"],
            subcategory="{level}",
            caption="../report/spatial.rst",
            labels=labels("Moran scatter plots and LISA maps", level="{level}", year="all"),
        ),
        kde_dagum=report(
            R("figures/kde_dagum_{level}.png"),
            category=CATEGORY["spatial"],
            subcategory="{level}",
            caption="../report/spatial.rst",
            labels=labels("kernel densities and Dagum Gini", level="{level}", year="all"),
        ),
        table=report(
            R("report/spatial_{level}.html"),
            category=CATEGORY["spatial"],
            subcategory="{level}: tables",
            caption="../report/tables.rst",
            labels=labels("Moran, LISA and Dagum tables", level="{level}", year="all"),
        ),
        meta=R("meta/analysis_{level}.json"),
    log:
        L("spatial/{level}.log"),
    benchmark:
        L("benchmarks/spatial_{level}.tsv")
    wildcard_constraints:
        level="|".join(table_levels()),
    priority: 20
    conda:
        ENV
    threads: need("spatial").threads
    resources:
        mem_mb=mem("spatial"),
        runtime=runtime("spatial"),
    params:
        analysis=cfg("analysis"),
        level_id=lambda w: level_id(w.level),
        group_column=cfg("analysis", "group_column") or cfg("boundaries", "levels")[-1]["id"],
        group_name_column=group_name_column,
    message:
        "Moran, LISA, Gi*, kernel density and Dagum Gini of the {wildcards.level} level"
    script:
        "../scripts/spatial.py"


rule centre_of_gravity:
    input:
        grids=expand(R("grid/{year}/emissions.tif"), year=years()),
        units=R("boundaries/units.gpkg"),
    output:
        table=R("analysis/centre_of_gravity.csv"),
        figure=report(
            R("figures/centre_of_gravity.png"),
            category=CATEGORY["spatial"],
            subcategory="all years",
            caption="../report/spatial.rst",
            labels=labels("emission centre of gravity and ellipses", level="grid", year="all"),
        ),
    log:
        L("centre_of_gravity.log"),
    benchmark:
        L("benchmarks/centre_of_gravity.tsv")
    conda:
        ENV
    threads: need("centre_of_gravity").threads
    resources:
        mem_mb=mem("centre_of_gravity"),
        runtime=runtime("centre_of_gravity"),
    params:
        years=years(),
    message:
        "Emission centre of gravity and standard deviational ellipse per year"
    script:
        "../scripts/spatial_centre.py"


rule hotspots:
    input:
        grid=R("grid/{year}/emissions.tif"),
        units=R("boundaries/units.gpkg"),
        assignment=R("aligned/unit_assignment.zarr"),
    output:
        table=R("analysis/hotspots_{year}.csv"),
        figure=report(
            R("figures/hotspots_{year}.png"),
            category=CATEGORY["spatial"],
            subcategory="{year}",
            caption="../report/spatial.rst",
            labels=labels("Gi* hot and cold spots", level="grid", year="{year}"),
        ),
    log:
        L("hotspots/{year}.log"),
    benchmark:
        L("benchmarks/hotspots_{year}.tsv")
    priority: 10
    group:
        "year"
    conda:
        ENV
    threads: need("hotspots").threads
    resources:
        mem_mb=mem("hotspots"),
        runtime=runtime("hotspots"),
    params:
        distance=cfg("analysis", "hotspot_distance_m"),
    message:
        "Getis-Ord Gi* hot spots of the {wildcards.year} emission grid"
    script:
        "../scripts/spatial_hotspots.py"
