# The embedded demo region: every input file of the run, generated from a seed.

if cfg("demo", "enabled"):

    rule demo_inputs:
        output:
            boundaries=cfg("boundaries", "path"),
            statistics=cfg("statistics", "path"),
            rasters=demo_raster_outputs(),
        log:
            L("demo_inputs.log"),
        benchmark:
            L("benchmarks/demo_inputs.tsv")
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=2000,
            runtime=20,
        params:
            seed=cfg("demo", "seed"),
            # the folder the generator may write to (not a path prefix it derives outputs from)
            root=lambda w: cfg("demo", "root"),
            years=years(),
            inputs=cfg("inputs"),
            layout=cfg("demo", "layout"),
        message:
            "Generating the demo inputs (seed {params.seed}, years {params.years})"
        script:
            "../scripts/demo_inputs.py"
