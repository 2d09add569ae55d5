"""The analysis stage (SPEC §7): the spatial and inequality tables of one level.

For every configured variable of the budget table and every year: global Moran, LISA,
Gi* on units, kernel density curves and the Dagum decomposition by a grouping column;
and, from the emission grid, the weighted centre and standard deviational ellipse per
year with the centre's year-to-year shift.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carbonbalance.errors import InputError
from carbonbalance.spatial.autocorrelation import global_moran, local_moran
from carbonbalance.spatial.centrography import centre_shift, grid_ellipse
from carbonbalance.spatial.hotspots import getis_ord
from carbonbalance.spatial.inequality import dagum_gini, kernel_density
from carbonbalance.spatial.neighbours import weights
from carbonbalance.spatial.params import SpatialParams, WeightsParams

log = logging.getLogger(__name__)


def unit_weights(gdf, params: WeightsParams):
    """(row-standardised, binary) libpysal W of the rows of ``gdf``, built once."""
    import copy

    binary = weights(gdf, kind=params.kind, islands=params.islands, k=params.k, power=params.power, transform=None)
    row = copy.deepcopy(binary)
    row.transform = "r"
    return row, binary


def unit_tables(gdf, budget: pd.DataFrame, params: SpatialParams, group_column: str | None, w=None) -> dict:
    """Moran, LISA, Gi*, KDE and Dagum tables for ``params.variables`` over the years of ``budget``.

    gdf : the level's units with geometry and ``unit_id`` (row order = weights order)
    w : (row-standardised, binary) weights of :func:`unit_weights` (built when None)
    """
    w, wb = w if w is not None else unit_weights(gdf, params.weights)
    ids = gdf["unit_id"].astype(str).tolist()
    perms, seed, alpha = int(params.permutations), params.seed, float(params.alpha)
    kcfg = params.kde
    bounds = dict(kcfg.lower_bounds or {})
    variables = list(params.variables)
    moran, lisa, gi, kde, dagum, dagum_groups = [], [], [], [], [], []
    for var in variables:
        if var not in budget.columns:
            raise InputError(
                f"analysis: variable {var!r} is not a column of the budget table "
                f"({[c for c in budget.columns if budget[c].dtype.kind == 'f']})"
            )
        for year, rows in budget.groupby("year"):
            y = rows.set_index("unit_id")[var].reindex(ids)
            if y.isna().any():
                log.warning("analysis: %s %s missing for %s: skipped", var, year, list(y.index[y.isna()])[:10])
                continue
            m = global_moran(y.to_numpy(), w, permutations=perms, seed=seed)
            moran.append(
                {
                    "variable": var,
                    "year": int(year),
                    **{
                        k: getattr(m, k)
                        for k in (
                            "I",
                            "expected",
                            "sd_norm",
                            "z_norm",
                            "p_norm",
                            "sd_rand",
                            "z_rand",
                            "p_rand",
                            "p_sim",
                        )
                    },
                }
            )
            lm = local_moran(y, w, alpha=alpha, permutations=perms, seed=seed)
            lm["p_sim"] = local_moran(y, w, inference="permutation", permutations=perms, seed=seed)["p"]
            lisa.append(lm.reset_index().rename(columns={"index": "unit_id"}).assign(variable=var, year=int(year)))
            g = getis_ord(y.to_numpy(), wb)
            gi.append(g.assign(unit_id=ids, variable=var, year=int(year)))
            k = kernel_density(
                y.to_numpy(), kernel=kcfg.kernel, bandwidth=kcfg.bandwidth, scale=kcfg.scale, lower=bounds.get(var)
            )
            kde.append(
                k.assign(
                    variable=var,
                    year=int(year),
                    bandwidth=k.attrs["bandwidth"],
                    kernel=k.attrs["kernel"],
                    scale=k.attrs["scale"],
                    lower_bound=np.nan if k.attrs["lower"] is None else k.attrs["lower"],
                )
            )
            if group_column and (y > 0).all():
                groups = gdf.set_index("unit_id")[group_column].reindex(ids).astype(str).to_numpy()
                d = dagum_gini(y.to_numpy(), groups)
                dagum.append(
                    {
                        "variable": var,
                        "year": int(year),
                        "total": d.total,
                        "within": d.within,
                        "between": d.between,
                        "transvariation": d.transvariation,
                        **{f"{k}_pct": v for k, v in d.contributions.items()},
                    }
                )
                sizes = pd.Series(groups).value_counts()
                dagum_groups.append(
                    pd.DataFrame(
                        {
                            "variable": var,
                            "year": int(year),
                            "group": d.group_gini.index.astype(str),
                            "units": sizes.reindex(d.group_gini.index).to_numpy(),
                            "gini_within_group": d.group_gini.to_numpy(),
                        }
                    )
                )
            elif group_column:
                log.warning("analysis: Dagum needs positive values; %s %s has some <= 0: skipped", var, year)

    def frame(parts):
        return (
            pd.concat(parts, ignore_index=True) if parts and isinstance(parts[0], pd.DataFrame) else pd.DataFrame(parts)
        )

    return {
        "moran": frame(moran),
        "lisa": frame(lisa),
        "getis_ord": frame(gi),
        "kde": frame(kde),
        "dagum": frame(dagum),
        "dagum_groups": frame(dagum_groups),
    }


def grid_centres(paths: dict, max_pixels: int = 4_000_000) -> pd.DataFrame:
    """Weighted centre and standard deviational ellipse of a grid layer per year, with the
    shift (m) and bearing (degrees from grid north) of the centre from the previous year.

    paths : {year: GeoTIFF}; the layer is read at full resolution up to ``max_pixels``
    (else decimated by averaging, which leaves the weighted centre unchanged).
    """
    from rasterio.transform import from_bounds

    from carbonbalance.core.store import read_decimated

    rows = []
    for year in sorted(paths):
        a, (left, right, bottom, top), _ = read_decimated(paths[year], max_pixels=max_pixels)
        e = grid_ellipse(a, from_bounds(left, bottom, right, top, a.shape[1], a.shape[0]))
        rows.append(
            {
                "year": int(year),
                "cx": e.cx,
                "cy": e.cy,
                "angle_rad": e.angle,
                "sigma_x_m": e.sigma_x,
                "sigma_y_m": e.sigma_y,
            }
        )
    out = pd.DataFrame(rows)
    shift = [(np.nan, np.nan)] + [
        centre_shift(a.cx, a.cy, b.cx, b.cy) for a, b in zip(out.itertuples(), out.iloc[1:].itertuples())
    ]
    out["shift_m"] = [s[0] for s in shift]
    out["bearing_deg"] = [s[1] for s in shift]
    return out
