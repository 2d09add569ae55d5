# Ensembles (SPEC §9): the chain over named variants and Monte Carlo draws of coefficients.
#
# A member's outputs live below results/{run}/ensemble/members/{member}/ with the same names
# as the baseline's. A member reruns only the stages whose config it changes and the stages
# downstream of them (carbonbalance.ensemble.members); everything else it reads from the
# baseline's outputs, so a member that changes only the zoning rules realigns nothing and
# reruns no CASA. Variants run through the baseline's own rules (use rule ... with a member
# wildcard); members that change only εmax share one CASA pass per year, and the per-unit
# stages of all members run in one job per year (zonal) and one job (tables).
ENSEMBLE = ensemble_members()
MEMBER_CONFIG = {m: member_config(m) for m in ENSEMBLE}


CASA_VARIANTS = [m for m, v in ENSEMBLE.items() if reruns(m, "casa") and not ensemble_lib().eps_only(v)]
CASA_BATCH = [m for m, v in ENSEMBLE.items() if reruns(m, "casa") and ensemble_lib().eps_only(v)]
EMISSION_MEMBERS = {
    method: [m for m in ENSEMBLE if reruns(m, "emissions") and mcfg(m, "emissions", "method") == method]
    for method in ("nightlight", "multisource")
}
ABSORPTION_MEMBERS = [m for m, v in ENSEMBLE.items() if ensemble_lib().absorption_areas_change(v)]
ZONAL_MEMBERS = [m for m in ENSEMBLE if reruns(m, "zonal")]
TABLE_MEMBERS = [m for m in ENSEMBLE if reruns(m, "tables")]


if CASA_VARIANTS:

    use rule casa as ensemble_casa with:
        output:
            npp=M("{member}", "grid/{year}/npp.tif"),
            rh=M("{member}", "grid/{year}/rh.tif"),
            nep=M("{member}", "grid/{year}/nep.tif"),
            sequestration=M("{member}", "grid/{year}/sequestration_tco2.tif"),
            monthly=directory(M("{member}", "grid/{year}/casa_monthly.zarr")),
            meta=M("{member}", "meta/casa_{year}.json"),
        log:
            L("ensemble/{member}/casa/{year}.log"),
        benchmark:
            L("ensemble/{member}/benchmarks/casa_{year}.tsv")
        wildcard_constraints:
            member=member_regex(CASA_VARIANTS),
        params:
            casa=lambda w: mcfg(w.member, "casa"),
            classes=lambda w: mcfg(w.member, "landcover_classes"),
        message:
            "Ensemble member {wildcards.member}: CASA NPP, RH and NEP for {wildcards.year}"


if CASA_BATCH:

    rule ensemble_casa_batch:
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
            **{f"{m}__{key}": M(m, f"grid/{{year}}/{name}") for m in CASA_BATCH for key, name in BATCH_OUTPUTS},
            meta=R("ensemble/meta/casa_batch_{year}.json"),
        log:
            L("ensemble/casa_batch/{year}.log"),
        benchmark:
            L("ensemble/benchmarks/casa_batch_{year}.tsv")
        priority: 40
        conda:
            ENV
        threads: need("ensemble_casa_batch").threads
        resources:
            mem_mb=mem("ensemble_casa_batch", members=len(CASA_BATCH)),
            runtime=runtime("ensemble_casa_batch", members=len(CASA_BATCH)),
        params:
            casa=cfg("casa"),
            classes=cfg("landcover_classes"),
            members={m: mcfg(m, "casa", "eps_max") for m in CASA_BATCH},
        message:
            f"Ensemble: CASA of {len(CASA_BATCH)} εmax members for {{wildcards.year}} in one pass"
        script:
            "../scripts/ensemble_casa.py"


if EMISSION_MEMBERS["nightlight"]:

    use rule emissions as ensemble_emissions_nightlight with:
        input:
            unpack(lambda w: emission_inputs(w.year, MEMBER_CONFIG[w.member])),
        output:
            total=M("{member}", "grid/{year}/emissions.tif"),
            units=M("{member}", "zonal/{year}/emissions.parquet"),
            meta=M("{member}", "meta/emissions_{year}.json"),
        log:
            L("ensemble/{member}/emissions/{year}.log"),
        benchmark:
            L("ensemble/{member}/benchmarks/emissions_{year}.tsv")
        wildcard_constraints:
            member=member_regex(EMISSION_MEMBERS["nightlight"]),
        params:
            emissions=lambda w: emission_params(MEMBER_CONFIG[w.member]),
            mode=lambda w: mcfg(w.member, "zonal", "mode"),
            landuse_classes={},
        message:
            "Ensemble member {wildcards.member}: allocating the {wildcards.year} emissions (nightlight)"


if EMISSION_MEMBERS["multisource"]:

    use rule emissions as ensemble_emissions_multisource with:
        input:
            unpack(lambda w: emission_inputs(w.year, MEMBER_CONFIG[w.member])),
        output:
            **{k: M("{member}", f"grid/{{year}}/emissions_{k}.tif") for k in EMISSION_CATEGORIES},
            total=M("{member}", "grid/{year}/emissions.tif"),
            units=M("{member}", "zonal/{year}/emissions.parquet"),
            meta=M("{member}", "meta/emissions_{year}.json"),
        log:
            L("ensemble/{member}/emissions/{year}.log"),
        benchmark:
            L("ensemble/{member}/benchmarks/emissions_{year}.tsv")
        wildcard_constraints:
            member=member_regex(EMISSION_MEMBERS["multisource"]),
        params:
            emissions=lambda w: emission_params(MEMBER_CONFIG[w.member]),
            mode=lambda w: mcfg(w.member, "zonal", "mode"),
            landuse_classes=lambda w: mcfg(w.member, "landuse_classes"),
        message:
            "Ensemble member {wildcards.member}: allocating the {wildcards.year} emissions (multisource)"


if ABSORPTION_MEMBERS:

    use rule landuse_absorption as ensemble_landuse_absorption with:
        output:
            table=M("{member}", "tables/landuse_absorption_{year}.parquet"),
            meta=M("{member}", "meta/landuse_absorption_{year}.json"),
        log:
            L("ensemble/{member}/landuse_absorption/{year}.log"),
        benchmark:
            L("ensemble/{member}/benchmarks/landuse_absorption_{year}.tsv")
        wildcard_constraints:
            member=member_regex(ABSORPTION_MEMBERS),
        params:
            absorption=lambda w: mcfg(w.member, "emissions", "absorption"),
            levels=cfg("boundaries", "levels"),
            mode=lambda w: mcfg(w.member, "zonal", "mode"),
        message:
            "Ensemble member {wildcards.member}: land-use absorption for {wildcards.year}"


if ZONAL_MEMBERS:

    rule ensemble_zonal:
        input:
            unpack(ensemble_zonal_inputs),
        output:
            **{m: M(m, "zonal/{year}/finest.parquet") for m in ZONAL_MEMBERS},
        log:
            L("ensemble/zonal/{year}.log"),
        benchmark:
            L("ensemble/benchmarks/zonal_{year}.tsv")
        priority: 20
        conda:
            ENV
        threads: need("ensemble_zonal").threads
        resources:
            mem_mb=mem("ensemble_zonal", members=len(ZONAL_MEMBERS)),
            runtime=runtime("ensemble_zonal", members=len(ZONAL_MEMBERS)),
        params:
            members={
                m: {
                    "mode": mcfg(m, "zonal", "mode"),
                    "landuse_codes": sorted(int(c) for c in mcfg(m, "landuse_classes")),
                    "layers": ensemble_lib().zonal_layers(ENSEMBLE[m]),
                }
                for m in ZONAL_MEMBERS
            },
        message:
            f"Ensemble: zonal statistics of {len(ZONAL_MEMBERS)} members for {{wildcards.year}}"
        script:
            "../scripts/ensemble_zonal.py"


if ENSEMBLE:

    rule ensemble_tables:
        input:
            unpack(ensemble_tables_inputs),
        output:
            **{lvl: R(f"ensemble/budget_{lvl}.parquet") for lvl in ensemble_levels()},
        log:
            L("ensemble/tables.log"),
        benchmark:
            L("ensemble/benchmarks/tables.tsv")
        conda:
            ENV
        threads: need("ensemble_tables").threads
        resources:
            mem_mb=mem("ensemble_tables", members=len(TABLE_MEMBERS)),
            runtime=runtime("ensemble_tables", members=len(TABLE_MEMBERS)),
        params:
            members=list(ENSEMBLE),
            rerun={m: ENSEMBLE[m]["stages"] for m in ENSEMBLE},
            tables={m: mcfg(m, "tables") for m in TABLE_MEMBERS},
            energy={m: mcfg(m, "emissions", "energy") for m in TABLE_MEMBERS},
            absorption={m: mcfg(m, "emissions", "absorption", "coefficients_tc_per_hm2") for m in TABLE_MEMBERS},
            levels=[(lvl["name"], lvl["id"]) for lvl in cfg("boundaries", "levels")],
            report_levels=ensemble_levels(),
            parents={lvl: parent_level(lvl) for lvl in ensemble_levels()},
            years=years(),
        message:
            f"Ensemble: budget, zones and compensation of {len(TABLE_MEMBERS)} members"
        script:
            "../scripts/ensemble_tables.py"

    rule ensemble_summary:
        input:
            **{lvl: R(f"ensemble/budget_{lvl}.parquet") for lvl in ensemble_levels()},
            units=R("boundaries/units.gpkg"),
        output:
            **{
                f"{name}_{lvl}": R(f"ensemble/{name}_{lvl}.csv")
                for name in ("intervals", "zone_stability", "sensitivity")
                for lvl in ensemble_levels()
            },
            **{f"global_{lvl}": R(f"ensemble/global_{lvl}.csv") for lvl in ensemble_analysis_levels()},
            members=R("ensemble/members.json"),
            page=report(
                R("report/ensemble.html"),
                category=CATEGORY["ensemble"],
                caption="../report/ensemble.rst",
                labels=labels("intervals, zone stability and sensitivity tables", level="all", year="all"),
            ),
            stability=report(
                R("figures/ensemble_zone_stability.png"),
                category=CATEGORY["ensemble"],
                caption="../report/ensemble_stability.rst",
                labels=labels("zone stability maps", level=ensemble_levels()[0] if ENSEMBLE else "", year="last"),
            ),
            intervals=report(
                R("figures/ensemble_cbi_intervals.png"),
                category=CATEGORY["ensemble"],
                caption="../report/ensemble_intervals.rst",
                labels=labels("CBI intervals per unit", level=ensemble_levels()[0] if ENSEMBLE else "", year="last"),
            ),
            meta=R("meta/ensemble.json"),
        log:
            L("ensemble/summary.log"),
        benchmark:
            L("ensemble/benchmarks/summary.tsv")
        conda:
            ENV
        threads: need("ensemble_summary").threads
        resources:
            mem_mb=mem("ensemble_summary", members=len(ENSEMBLE)),
            runtime=runtime("ensemble_summary", members=len(ENSEMBLE)),
        params:
            members={m: {k: v for k, v in ENSEMBLE[m].items()} for m in ENSEMBLE},
            ensemble=cfg("ensemble"),
            analysis={m: mcfg(m, "analysis") for m in ENSEMBLE},
            schemes=cfg("tables", "zoning", "schemes"),
            levels={lvl: level_id(lvl) for lvl in ensemble_levels()},
            analysis_levels=ensemble_analysis_levels(),
            group_column=cfg("analysis", "group_column") or cfg("boundaries", "levels")[-1]["id"],
            outline=cfg("boundaries", "levels")[-1]["id"],
        message:
            f"Ensemble: intervals, zone stability and sensitivity of {len(ENSEMBLE)} members"
        script:
            "../scripts/ensemble_summary.py"
