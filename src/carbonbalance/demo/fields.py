"""Demo fields: analytic functions of longitude and latitude (elevation from random
Fourier features, urban intensity from Gaussian city cores) evaluated at each product's
own pixel centres, so that the products agree with each other at any resolution."""

from __future__ import annotations

import math

import numpy as np

LANDUSE_FILL = 0


class Fields:
    """Analytic geography of the demo: elevation, urban intensity, lakes (lon/lat in degrees)."""

    def __init__(self, rng, city_cores_lonlat, n_waves=24):
        self.k = rng.normal(0, 1.0, (n_waves, 2)) * np.array([[6.0, 6.0]]) / (1 + np.arange(n_waves)[:, None] * 0.15)
        self.phase = rng.uniform(0, 2 * np.pi, n_waves)
        self.amp = rng.uniform(0.5, 1.0, n_waves) / np.sqrt(n_waves)
        self.cores = np.array(list(city_cores_lonlat.values()))
        self.core_sigma = rng.uniform(0.05, 0.11, len(self.cores))  # degrees
        self.core_weight = rng.uniform(0.6, 1.0, len(self.cores))
        self.core_weight[rng.integers(len(self.cores))] = 1.3  # a provincial capital
        self.lakes = np.array(
            [
                [c[0] + rng.uniform(-0.3, 0.3), c[1] + rng.uniform(-0.3, 0.3)]
                for c in self.cores[rng.choice(len(self.cores), 3, replace=False)]
            ]
        )
        self.lake_r = rng.uniform(0.03, 0.06, len(self.lakes))
        self.lon0 = float(self.cores[:, 0].mean())
        self.lat0 = float(self.cores[:, 1].mean())

    def elevation_m(self, lon, lat):
        """Hilly in the west and south-west, plains elsewhere (0 – ~1600 m)."""
        z = np.zeros(np.broadcast(lon, lat).shape)
        for (kx, ky), ph, a in zip(self.k, self.phase, self.amp):
            z += a * np.sin(kx * lon + ky * lat + ph)
        ramp = np.clip(0.5 - 0.9 * (lon - self.lon0) + 0.4 * (self.lat0 - lat), 0, None)
        return np.clip(350 * (z + 1.0) * ramp + 80 * (z + 1), 0, None)

    def urban(self, lon, lat, year_index=0):
        """Urban intensity in [0, ~1.3]: Gaussian cores growing 4 % a year in extent."""
        u = np.zeros(np.broadcast(lon, lat).shape)
        growth = 1.0 + 0.04 * year_index
        for (x, y), s, w in zip(self.cores, self.core_sigma, self.core_weight):
            d2 = ((lon - x) * math.cos(math.radians(y))) ** 2 + (lat - y) ** 2
            u += w * np.exp(-d2 / (2 * (s * growth) ** 2))
        return u

    def lake(self, lon, lat):
        m = np.zeros(np.broadcast(lon, lat).shape, dtype=bool)
        for (x, y), r in zip(self.lakes, self.lake_r):
            m |= np.hypot(lon - x, lat - y) < r
        return m

    def noise(self, lon, lat, seed):
        """Smooth deterministic noise in about [-1, 1] (another set of waves)."""
        r = np.random.default_rng(seed)
        z = np.zeros(np.broadcast(lon, lat).shape)
        for _ in range(12):
            kx, ky = r.normal(0, 25, 2)
            z += np.sin(kx * lon + ky * lat + r.uniform(0, 2 * np.pi)) / math.sqrt(12)
        return z


# IGBP codes used by the demo: 1 ENF, 2 EBF, 4 DBF, 5 MF, 8 woody savanna, 10 grassland,
# 11 wetland, 12 cropland, 13 urban, 14 mosaic, 17 water.
def landcover_igbp(f: Fields, lon, lat, land, year_index):
    elev = f.elevation_m(lon, lat)
    u = f.urban(lon, lat, year_index)
    n = f.noise(lon, lat, 7)
    lc = np.full(lon.shape, 12, dtype="uint8")
    lc[(u > 0.25) & (u <= 0.45)] = 14
    hills = elev > 420
    lc[hills & (n > 0.3)] = 5
    lc[hills & (n <= 0.3) & (lat < f.lat0 - 0.3)] = 2
    lc[hills & (n <= 0.3) & (lat >= f.lat0 - 0.3) & (n > -0.4)] = 4
    lc[hills & (n <= -0.4) & (lat >= f.lat0 - 0.3)] = 1
    upland = (elev > 250) & ~hills
    lc[upland & (n > 0.5)] = 10
    lc[upland & (n <= 0.5) & (n > 0.1)] = 8
    lc[u > 0.45] = 13
    lake = f.lake(lon, lat)
    lc[lake] = 17
    lc[~lake & f.lake(lon + 0.015, lat + 0.015) & (u < 0.45)] = 11
    lc[~land] = 17
    return lc


# CNLUCC-like land-use codes: 11 paddy, 12 dry cropland, 21 forest, 31 grassland, 41 water,
# 51 urban, 52 rural settlement, 53 industrial / other construction, 61 unused.
def landuse_cnlucc(f: Fields, lon, lat, land, year_index):
    lc = landcover_igbp(f, lon, lat, land, year_index)
    u = f.urban(lon, lat, year_index)
    n = f.noise(lon, lat, 11)
    lu = np.where(lat < f.lat0, 11, 12).astype("uint8")
    lu[np.isin(lc, (1, 2, 4, 5, 8))] = 21
    lu[lc == 10] = 31
    lu[np.isin(lc, (11, 17))] = 41
    lu[(u > 0.45)] = 51
    lu[(u > 0.3) & (u <= 0.6) & (n > 0.35)] = 53
    lu[(u <= 0.3) & (n > 1.2) & (lu != 41)] = 52
    lu[(f.elevation_m(lon, lat) > 900) & (n < -1.1)] = 61
    lu[~land] = LANDUSE_FILL
    return lu


_NDVI_PEAK = {1: 0.78, 2: 0.86, 4: 0.84, 5: 0.82, 8: 0.72, 10: 0.62, 11: 0.55, 12: 0.74, 13: 0.28, 14: 0.62, 17: -0.08}
_NDVI_LOW = {1: 0.55, 2: 0.70, 4: 0.32, 5: 0.45, 8: 0.35, 10: 0.22, 11: 0.20, 12: 0.22, 13: 0.18, 14: 0.28, 17: -0.12}


def ndvi_bounds(landcover):
    """Seasonal low and peak NDVI of each pixel from its IGBP class (constant within a year)."""
    codes = np.array(sorted(_NDVI_PEAK))
    idx = np.searchsorted(codes, landcover)
    return (np.array([_NDVI_LOW[c] for c in codes])[idx], np.array([_NDVI_PEAK[c] for c in codes])[idx])


def ndvi_month(f, lat, low, peak, month, rng):
    """NDVI of one month from the pixel's seasonal range (``ndvi_bounds``); later green-up in the north."""
    season = 0.5 * (1 - np.cos(2 * np.pi * (month - 1.5 + 0.5 * (lat - f.lat0)) / 12.0))
    v = low + (peak - low) * season**1.3 + rng.normal(0, 0.025, lat.shape)
    return np.clip(v, -0.2, 0.95)


def temperature_month(f, lon, lat, year_index, month, anomaly):
    """°C: 16.8 °C mean near 30° N, −1.1 °C per degree north, −6.5 °C km⁻¹, ±12.5 °C season."""
    mean = 16.8 - 1.1 * (lat - 30.0) - 0.0065 * f.elevation_m(lon, lat) + anomaly
    amp = 12.5 + 0.6 * (lat - 30.0)
    return mean - amp * np.cos(2 * np.pi * (month - 1) / 12.0)


def precipitation_month(f, lon, lat, month, factor):
    """mm month⁻¹: ~1300 mm yr⁻¹ near 30° N, wetter south and uphill, peak in June."""
    annual = 1300 + 120 * (30.0 - lat) + 0.25 * f.elevation_m(lon, lat)
    shape = 1 + 0.85 * np.cos(2 * np.pi * (month - 6) / 12.0)
    return np.clip(annual / 12.0 * shape * factor * (1 + 0.1 * f.noise(lon, lat, 100 + month)), 0, None)


def radiation_month(f, lon, lat, month, factor):
    """Mean W m⁻²: ~85 in January, ~210 in July near 30° N; less where wetter."""
    base = 147.0 - 62.0 * np.cos(2 * np.pi * (month - 1) / 12.0) - 2.0 * (lat - 30.0)
    return np.clip(base * factor * (1 - 0.04 * f.noise(lon, lat, 200 + month)), 20, None)


def npp_product(f: Fields, grid, year_index: int, spec: dict):
    """Annual NPP like MOD17A3HGF on ``grid`` (transform, lon, lat, land): g C m⁻² yr⁻¹ from
    the land cover's seasonal NDVI, stored as the product stores it (int16 kg C m⁻² × 10⁴ with
    32762 urban, 32763 wetland and 32766 water) when ``spec`` names MOD17A3HGF, else as
    float32 in the declared units.  Returns (values, transform, nodata)."""
    tr, lon, lat, land = grid
    lc = landcover_igbp(f, lon, lat, land, year_index)
    low, peak = ndvi_bounds(lc)
    npp = np.clip(1150.0 * np.clip((low + peak) / 2, 0, None) ** 1.2 * (1 + 0.08 * f.noise(lon, lat, 500)), 0, None)
    special = {13: 32762, 11: 32763, 17: 32766}
    if spec.get("product") == "MOD17A3HGF":
        raw = np.round(npp * 10.0).astype("int16")  # g -> kg C m-2 x 10^4
        for code, mark in special.items():
            raw[lc == code] = mark
        raw[~land] = 32767
        return raw, tr, 32767
    out = (npp / (1000.0 if spec.get("units", "").startswith("kg") else 1.0)).astype("float32")
    out[np.isin(lc, list(special)) | ~land] = -9999.0
    return out, tr, -9999.0


def emission_inventory(f: Fields, grid, year_index: int, spec: dict, year: int):
    """A gridded CO2 inventory on ``grid``: a rural baseline plus urban cores, t CO2 per cell
    and year, written in the declared units (a mass per cell, or a flux such as EDGAR's
    kg CO2 m⁻² s⁻¹).  Returns (values, transform, nodata)."""
    from carbonbalance.core.grid import raster_cell_area_m2
    from carbonbalance.ingest.units import inventory_to_tco2

    tr, lon, lat, land = grid
    tco2 = (2.0e3 + 6.0e5 * f.urban(lon, lat, year_index) ** 1.5) * (1 + 0.03 * year_index)
    tco2[~land] *= 0.05  # shipping and coastal sources
    area = raster_cell_area_m2(tr, lon.shape, "EPSG:4326")
    per_unit = inventory_to_tco2(np.ones(lon.shape), spec["units"], area, year)
    return (tco2 / per_unit).astype("float64"), tr, None
