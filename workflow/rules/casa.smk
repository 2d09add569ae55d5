# Improved CASA NPP, heterotrophic respiration and NEP per year (SPEC §3).


rule casa:
    input:
        grid=R("aligned/grid.json"),
        area=R("aligned/cell_area.zarr"),
        units=R("boundaries/units.gpkg"),
        ndvi=lambda w: aligned("ndvi", w.year),
        temperature=lambda w: aligned("temperature", w.year),
        precipitation=lambda w: aligned("precipitation", w.year),
        radiation=lambda w: aligned("radiation", w.year),
        landcover=lambda w: aligned("landcover", w.year),
    output:
        npp=R("grid/{year}/npp.tif"),
        rh=R("grid/{year}/rh.tif"),
        nep=R("grid/{year}/nep.tif"),
        sequestration=R("grid/{year}/sequestration_tco2.tif"),
        monthly=directory(R("grid/{year}/casa_monthly.zarr")),
        meta=R("meta/casa_{year}.json"),
    log:
        L("casa/{year}.log"),
    benchmark:
        L("benchmarks/casa_{year}.tsv")
    priority: 40
    group:
        "year"
    conda:
        ENV
    threads: need("casa").threads
    resources:
        mem_mb=mem("casa"),
        runtime=runtime("casa"),
    params:
        casa=cfg("casa"),
        classes=cfg("landcover_classes"),
    message:
        "CASA NPP, RH and NEP for {wildcards.year}"
    script:
        "../scripts/casa.py"


rule casa_map:
    input:
        npp=R("grid/{year}/npp.tif"),
        nep=R("grid/{year}/nep.tif"),
        units=R("boundaries/units.gpkg"),
    output:
        report(
            R("figures/casa_{year}.png"),
            category=CATEGORY["casa"],
            subcategory="{year}",
            caption="../report/casa_map.rst",
            labels=labels("NPP, RH and NEP maps", level="grid", year="{year}"),
        ),
    log:
        L("casa_map/{year}.log"),
    benchmark:
        L("benchmarks/casa_map_{year}.tsv")
    group:
        "year"
    conda:
        ENV
    threads: need("casa_map").threads
    resources:
        mem_mb=mem("casa_map"),
        runtime=runtime("casa_map"),
    params:
        levels=[lvl["id"] for lvl in cfg("boundaries", "levels")],
    message:
        "Maps of annual NPP and NEP for {wildcards.year}"
    script:
        "../scripts/casa_map.py"
