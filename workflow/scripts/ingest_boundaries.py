"""Check the unit hierarchy and project the boundaries to the grid CRS (rule prepare_boundaries)."""

from _helpers import setup

log = setup(snakemake)

from carbonbalance.core.metadata import file_sha256
from carbonbalance.core.store import atomic_output, write_json
from carbonbalance.ingest.boundaries import check_overlaps, levels_from_config, read_boundaries, unit_table
from carbonbalance.ingest.params import BoundariesParams

sm = snakemake
cfg = BoundariesParams.from_config(sm.params.boundaries)
levels = levels_from_config(cfg.levels)
gdf = read_boundaries(
    sm.input[0], levels, layer=cfg.layer, groups=cfg.groups, shared_ids_ok=bool(sm.params.statistics_level_column)
)
source_crs = gdf.crs.to_string()
gdf = gdf.to_crs(sm.params.crs)
overlap = check_overlaps(gdf, levels[0].id, cfg.max_overlap_share, source=f"boundaries: {sm.input[0]}")
units = unit_table(gdf, levels)
with atomic_output(sm.output.units) as tmp:
    gdf.to_file(tmp, driver="GPKG", layer="units")
with atomic_output(sm.output.table) as tmp:
    units.to_parquet(tmp, index=False)
counts = units.groupby("level").size().to_dict()
log.info("%s: units per level %s; %d geometries repaired", sm.input[0], counts, gdf.attrs.get("n_repaired", 0))
write_json(
    sm.output.meta,
    {
        "boundaries": {
            "path": sm.input[0],
            "sha256": file_sha256(sm.input[0]),
            "source_crs": source_crs,
            "units_per_level": counts,
            "levels": [lv.__dict__ for lv in levels],
            "groups": cfg.groups,
            "geometries_repaired": gdf.attrs.get("n_repaired", 0),
            "overlaps": overlap,
            "ids_shared_between_levels": gdf.attrs.get("shared_ids", {}),
        }
    },
)
