"""Unit-level carbon accounting of Jiangxi2024 (SPEC §4): energy and land-use coefficients.

Energy accounting: ``Ce = E · σ`` (E energy use in t standard coal), ``Cp = P · θ``
(human respiration, θ = 0.079 t C per person per year), ``Cz = Ce + Cp``.  σ = 1.87 is
the factor as printed; Jiangxi2024 add Ce and Cp directly, so σ is read in the mass unit
of θ (t C per t standard coal) unless ``sigma_unit`` says it is CO2.  Both are reported
in t C and in t CO2 (× 44/12), never mixed.  Read as t C per t standard coal, 1.87 is
about 2.5 times the physical factor (coal 0.75, oil 0.59, gas 0.44 t C per t standard
coal): a σ outside the plausible range of its declared unit is warned about and
recorded (:func:`sigma_check`).

Land-use coefficient absorption: ``CA = Σ_k area_k[hm²] · |λ_k|`` with λ in t C hm⁻² a⁻¹
(cultivated −0.13, forest −5.77, grassland −0.022, water −0.253, unused −0.005 as
printed), from the aligned land use and the cell areas, per unit of every level.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carbonbalance.core.blocks import read_block
from carbonbalance.core.classes import class_lookup, classify
from carbonbalance.core.constants import C_TO_CO2, CO2_TO_C
from carbonbalance.emissions.params import ABSORPTION_CLASSES, AbsorptionParams, EnergyParams
from carbonbalance.errors import ConfigError, InputError
from carbonbalance.zonal.engine import zonal_class_sums

log = logging.getLogger(__name__)

SIGMA_UNITS = {"t C per t standard coal": 1.0, "t CO2 per t standard coal": CO2_TO_C}
#: physically plausible σ per declared unit: from natural gas (0.44 t C/tce) to coal (0.75)
#: with a margin, i.e. 0.40-0.80 t C or 1.47-2.93 t CO2 per t standard coal
SIGMA_PLAUSIBLE = {
    "t C per t standard coal": (0.40, 0.80),
    "t CO2 per t standard coal": (0.40 * C_TO_CO2, 0.80 * C_TO_CO2),
}
M2_PER_HM2 = 1e4


def energy_emissions(
    energy_tce,
    population,
    sigma: float = 1.87,
    sigma_unit: str = "t C per t standard coal",
    theta_tc_per_person: float = 0.079,
) -> dict:
    """Ce, Cp, Cz in t C and t CO2 from energy use (t standard coal) and population (persons)."""
    if sigma_unit not in SIGMA_UNITS:
        raise ConfigError(f"emissions.energy.sigma_unit: {sigma_unit!r} is not one of {list(SIGMA_UNITS)}")
    if sigma < 0 or theta_tc_per_person < 0:
        raise ConfigError(f"emissions.energy: sigma ({sigma}) and theta ({theta_tc_per_person}) must be >= 0")
    ce = np.asarray(energy_tce, dtype="float64") * sigma * SIGMA_UNITS[sigma_unit]
    cp = np.asarray(population, dtype="float64") * theta_tc_per_person
    cz = ce + cp
    return {
        "energy_emission_tc": ce,
        "respiration_emission_tc": cp,
        "emission_tc": cz,
        "energy_emission_tco2": ce * C_TO_CO2,
        "respiration_emission_tco2": cp * C_TO_CO2,
        "emission_tco2": cz * C_TO_CO2,
    }


def sigma_check(sigma: float, sigma_unit: str) -> dict:
    """Record of σ against the plausible range of its unit; logs a warning when outside."""
    lo, hi = SIGMA_PLAUSIBLE[sigma_unit]
    rec = {
        "sigma": float(sigma),
        "sigma_unit": sigma_unit,
        "plausible_range": [lo, hi],
        "plausible": bool(lo <= sigma <= hi),
    }
    if not rec["plausible"]:
        rec["warning"] = (
            f"emissions.energy.sigma = {sigma:g} {sigma_unit} is outside the physically plausible "
            f"range {lo:.2f}-{hi:.2f} (natural gas to coal); as printed by Jiangxi2024 it inflates "
            f"Ce against sequestration. Check emissions.energy.sigma_unit."
        )
        log.warning(rec["warning"])
    return rec


def energy_accounting(stats: pd.DataFrame, params: EnergyParams | None = None) -> pd.DataFrame:
    """Per unit and year of the statistics table: Ce, Cp and Cz (t C and t CO2).

    Rows without energy use or population are reported with NaN and counted in the log;
    ``attrs["sigma_check"]`` is σ's plausibility record (:func:`sigma_check`).
    """
    p = params or EnergyParams()
    for col in ("energy_tce", "population_persons"):
        if col not in stats.columns:
            raise InputError(f"statistics: no column {col!r} for the energy accounting; add it to statistics.columns")
    out = stats[["unit_id", "level", "year", "energy_tce", "population_persons"]].copy()
    res = energy_emissions(
        out["energy_tce"],
        out["population_persons"],
        sigma=float(p.sigma),
        sigma_unit=p.sigma_unit,
        theta_tc_per_person=float(p.theta_tc_per_person),
    )
    for k, v in res.items():
        out[k] = v
    out.attrs["sigma_check"] = sigma_check(float(p.sigma), p.sigma_unit)
    gaps = out["emission_tc"].isna()
    if gaps.any():
        log.warning(
            "energy accounting: %d unit-year(s) without energy use or population: %s",
            int(gaps.sum()),
            out.loc[gaps, ["unit_id", "year"]].head(10).to_dict("records"),
        )
    return out.reset_index(drop=True)


def coefficients(cfg: dict | None = None) -> dict:
    """λ per absorption class (t C hm⁻² a⁻¹): the printed values, overridden by config."""
    return AbsorptionParams.from_config({"coefficients_tc_per_hm2": dict(cfg or {})}).coefficients_tc_per_hm2


def absorption(areas_hm2: dict, lam: dict | None = None) -> float:
    """``CA = Σ_k area_k · |λ_k|`` in t C per year (a change of areas gives the change of CA)."""
    lam = coefficients(lam)
    unknown = sorted(set(areas_hm2) - set(lam))
    if unknown:
        raise ConfigError(f"absorption: unknown land-use class(es) {unknown} (classes: {list(ABSORPTION_CLASSES)})")
    return float(sum(a * abs(lam[k]) for k, a in areas_hm2.items()))


def landuse_areas(cov, mode: str, landuse, cell_area_m2, classes: dict, threads: int = 1) -> np.ndarray:
    """(n_units, n_classes) area in hm² of every absorption class inside every finest unit.

    cov, mode : the run's unit assignment (:mod:`carbonbalance.core.assignment`) and its mode, the
    same as the zonal ``area_km2``; landuse codes and cell areas (m²) as numpy or dask
    arrays; ``classes`` maps land-use codes to absorption classes (null = none).
    """
    codes, idx = class_lookup(classes, ABSORPTION_CLASSES, "emissions.absorption.classes")
    nx = np.shape(landuse)[1]

    def read_classes(rows):
        c = classify(read_block(landuse, rows, slice(0, nx)), codes, idx, "landuse", "emissions.absorption.classes")
        c[c < 0] = -1
        return c

    def read_area(rows):
        return read_block(cell_area_m2, rows, slice(0, nx))

    m2 = zonal_class_sums(cov, read_classes, read_area, len(ABSORPTION_CLASSES), mode, threads=threads)
    return m2 / M2_PER_HM2


def absorption_table(
    areas_hm2: np.ndarray, finest: pd.DataFrame, levels: list, lam: dict | None = None, year: int | None = None
) -> pd.DataFrame:
    """Areas and CA per unit of every level from the finest units' class areas.

    finest : finest-level table (one row per finest unit, in label order) with every
    level's id column; levels : [(level name, id column)] finest first.  Coarser units
    are sums of their finest units, so the levels nest exactly.
    """
    cols = [f"area_{k}_hm2" for k in ABSORPTION_CLASSES]
    base = pd.DataFrame(areas_hm2, columns=cols)
    frames = []
    for name, id_col in levels:
        g = base.groupby(finest[id_col].astype(str).to_numpy()).sum()
        g.index.name = "unit_id"
        g = g.reset_index()
        g.insert(1, "level", name)
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    if year is not None:
        out.insert(2, "year", int(year))
    return with_absorption(out, lam)


def with_absorption(table: pd.DataFrame, lam: dict | None = None) -> pd.DataFrame:
    """``absorption_tc`` and ``absorption_tco2`` of a table of class areas (``area_<class>_hm2``)
    with the coefficients ``lam`` (an ensemble member's λ rescales the baseline's areas)."""
    lam = coefficients(lam)
    out = table.copy()
    out["absorption_tc"] = sum(out[f"area_{k}_hm2"] * abs(lam[k]) for k in ABSORPTION_CLASSES)
    out["absorption_tco2"] = out["absorption_tc"] * C_TO_CO2
    return out
