# Emission downscaling to the grid and unit-level carbon accounting (SPEC §4).


rule emissions:
    input:
        unpack(
            lambda w: {
                "grid": R("aligned/grid.json"),
                "assignment": R("aligned/unit_assignment.zarr"),
                "units": R("boundaries/units.gpkg"),
                "statistics": R("tables/statistics.parquet"),
            }
            | {
                name: (
                    R("aligned/cell_area.zarr")
                    if name == "area"
                    else aligned("nightlight" if name == "light" else name, w.year)
                )
                for name in emission_layers()
            }
            | ({"landuse": aligned("landuse", w.year)} if cfg("emissions", "method") == "multisource" else {})
        ),
    output:
        **{k: R(f"grid/{{year}}/{name}") for k, name in emission_outputs().items()},
        units=R("zonal/{year}/emissions.parquet"),
        meta=R("meta/emissions_{year}.json"),
    log:
        L("emissions/{year}.log"),
    benchmark:
        L("benchmarks/emissions_{year}.tsv")
    priority: 30
    conda:
        ENV
    threads: 2
    resources:
        # labels in memory (int16) + a few 1024² blocks per thread; China at 1 km < 1 GB
        mem_mb=mem(800, 25),
        runtime=30,
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
            category="Emissions",
            subcategory="{year}",
            caption="../report/emissions_map.rst",
        ),
    log:
        L("emissions_map/{year}.log"),
    benchmark:
        L("benchmarks/emissions_map_{year}.tsv")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=mem(700, 30),
        runtime=10,
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
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
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
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=mem(600, 10),
        runtime=10,
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
            files=lambda w: raw_paths("inventory", w.year),
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
        threads: 1
        resources:
            # the inventory's window over the region (EDGAR 0.1 deg over China: 0.3 M cells) and
            # one exactextract pass per unit set
            mem_mb=2000,
            runtime=20,
        params:
            inventory=cfg("inputs", "inventory"),
            level_id=level_id(table_levels()[0]),
        message:
            "Regridding the {wildcards.year} emission inventory to the finest units (exact coverage)"
        script:
            "../scripts/emissions_inventory.py"
