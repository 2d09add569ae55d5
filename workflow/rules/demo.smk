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
        threads: need("demo_inputs").threads
        resources:
            mem_mb=mem("demo_inputs"),
            runtime=runtime("demo_inputs"),
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
