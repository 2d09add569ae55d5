# Emission downscaling to the grid and unit-level carbon accounting (SPEC §4).


rule emissions:
    input:
        unpack(lambda w: emission_inputs(w.year)),
    output:
        **{k: R(f"grid/{{year}}/{name}") for k, name in emission_outputs().items()},
        units=R("zonal/{year}/emissions.parquet"),
        meta=R("meta/emissions_{year}.json"),
    log:
        L("emissions/{year}.log"),
    benchmark:
        L("benchmarks/emissions_{year}.tsv")
    priority: 30
    group:
        "year"
    conda:
        ENV
    threads: need("emissions").threads
    resources:
        mem_mb=mem("emissions"),
        runtime=runtime("emissions"),
    params:
        emissions=emission_params(),
        mode=cfg("zonal", "mode"),
        landuse_classes=(cfg("landuse_classes") if cfg("emissions", "method") == "multisource" else {}),
    message:
        "Allocating the {wildcards.year} emission totals to the grid ({params.emissions[method]})"
    script:
        "../scripts/emissions.py"


rule emissions_map:
    input:
        unpack(
            lambda w: {k: R(f"grid/{w.year}/{name}") for k, name in emission_outputs().items()}
            | {"units": R("boundaries/units.gpkg")}
        ),
    output:
        report(
            R("figures/emissions_{year}.png"),
            category=CATEGORY["emissions"],
            subcategory="{year}",
            caption="../report/emissions_map.rst",
            labels=labels("emission grid maps by category", level="grid", year="{year}"),
        ),
    log:
        L("emissions_map/{year}.log"),
    benchmark:
        L("benchmarks/emissions_map_{year}.tsv")
    group:
        "year"
    conda:
        ENV
    threads: need("emissions_map").threads
    resources:
        mem_mb=mem("emissions_map"),
        runtime=runtime("emissions_map"),
    params:
        levels=[lvl["id"] for lvl in cfg("boundaries", "levels")],
    message:
        "Map of the {wildcards.year} emission grid"
    script:
        "../scripts/emissions_map.py"


rule energy_accounting:
    input:
        R("tables/statistics.parquet"),
    output:
        table=R("tables/energy_accounting.parquet"),
        meta=R("meta/energy_accounting.json"),
    log:
        L("energy_accounting.log"),
    benchmark:
        L("benchmarks/energy_accounting.tsv")
    conda:
        ENV
    threads: need("energy_accounting").threads
    resources:
        mem_mb=mem("energy_accounting"),
        runtime=runtime("energy_accounting"),
    params:
        energy=cfg("emissions", "energy"),
    message:
        "Energy accounting Cz = E sigma + P theta per unit and year (Jiangxi2024)"
    script:
        "../scripts/emissions_energy.py"


rule landuse_absorption:
    input:
        assignment=R("aligned/unit_assignment.zarr"),
        units=R("boundaries/units.gpkg"),
        landuse=lambda w: aligned("landuse", w.year),
        area=R("aligned/cell_area.zarr"),
    output:
        table=R("tables/landuse_absorption_{year}.parquet"),
        meta=R("meta/landuse_absorption_{year}.json"),
    log:
        L("landuse_absorption/{year}.log"),
    benchmark:
        L("benchmarks/landuse_absorption_{year}.tsv")
    group:
        "align"
    conda:
        ENV
    threads: need("landuse_absorption").threads
    resources:
        mem_mb=mem("landuse_absorption"),
        runtime=runtime("landuse_absorption"),
    params:
        absorption=cfg("emissions", "absorption"),
        levels=cfg("boundaries", "levels"),
        mode=cfg("zonal", "mode"),
    message:
        "Land-use coefficient absorption per unit for {wildcards.year} (Jiangxi2024)"
    script:
        "../scripts/emissions_absorption.py"


if "inventory" in config["inputs"]:

    rule emission_inventory:
        input:
            grid=R("aligned/grid.json"),
            units=R("boundaries/units.gpkg"),
            files=lambda w: source(raw_paths("inventory", w.year)),
            presets=preset_files("inventory"),
        output:
            table=R("zonal/{year}/inventory.parquet"),
            meta=R("meta/emission_inventory_{year}.json"),
        log:
            L("emission_inventory/{year}.log"),
        benchmark:
            L("benchmarks/emission_inventory_{year}.tsv")
        conda:
            ENV
        threads: need("emission_inventory").threads
        resources:
            mem_mb=mem("emission_inventory"),
            runtime=runtime("emission_inventory"),
        params:
            inventory=cfg("inputs", "inventory"),
            level_id=level_id(table_levels()[0]),
        message:
            "Regridding the {wildcards.year} emission inventory to the finest units (exact coverage)"
        script:
            "../scripts/emissions_inventory.py"
