"""The CASA stage on stores: outputs, units, plausibility flags, gap-filled NDVI months, the benchmark script."""

import json
import math
import re

import numpy as np
import pytest
import rasterio

from carbonbalance.casa.params import CasaParams
from carbonbalance.casa.stage import run_casa_year
from carbonbalance.core.store import create_store, open_store, write_block
from carbonbalance.errors import InputError

CLASSES = {"1": "ENF", "2": "EBF", "4": "DBF", "10": "grass", "12": "crop", "16": None, "17": None}


def _write_inputs(tmp_path, grid, rng, radiation_units="MJ m-2 month-1"):
    shape = (12,) + grid.shape
    months = np.arange(12)[:, None, None]
    fields = {
        "ndvi": (0.35 + 0.4 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 0.03, shape), "1"),
        "temperature": (2 + 26 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 1, shape), "degC"),
        "precipitation": (
            np.abs(30 + 150 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 10, shape)),
            "mm month-1",
        ),
        "radiation": (250 + 300 * np.sin(np.pi * (months + 0.5) / 12) + rng.normal(0, 10, shape), radiation_units),
    }
    paths = {}
    for var, (data, units) in fields.items():
        paths[var] = tmp_path / f"{var}.zarr"
        create_store(
            paths[var],
            grid,
            {var: {"dtype": "float32", "attrs": {"units": units}}},
            leading={"month": np.arange(1, 13)},
        )
        write_block(paths[var], var, data.astype("float32"), slice(None), slice(None))
    lc = rng.choice([1, 2, 4, 12, 17], grid.shape).astype("int32")
    paths["landcover"] = tmp_path / "landcover.zarr"
    create_store(paths["landcover"], grid, {"landcover": {"dtype": "int32", "fill": -1, "attrs": {"units": "class"}}})
    write_block(paths["landcover"], "landcover", lc, slice(None), slice(None))
    from carbonbalance.ingest.stage import write_cell_area

    paths["cell_area"] = tmp_path / "cell_area.zarr"
    write_cell_area(grid, paths["cell_area"])
    return paths, lc


def _outputs(tmp_path):
    out = {k: tmp_path / "out" / f"{k}.tif" for k in ("npp", "rh", "nep", "sequestration")}
    out["monthly"] = tmp_path / "out" / "casa_monthly.zarr"
    return out


@pytest.mark.parametrize("variant", ["fan2024", "peng2023"])
def test_run_casa_year_writes_cogs_zarr_and_sequestration(tmp_path, small_grid, variant):
    rng = np.random.default_rng(1)
    paths, lc = _write_inputs(tmp_path, small_grid, rng)
    params = CasaParams.from_config({"sequestration": {"variant": variant}, "min_percentile_samples": 10})
    out = _outputs(tmp_path)
    rec = run_casa_year(paths, small_grid, params, CLASSES, 2020, out, threads=2)
    json.dumps(rec)
    arrays = {}
    for k in ("npp", "rh", "nep", "sequestration"):
        with rasterio.open(out[k]) as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert src.dtypes[0] == "float32" and math.isnan(src.nodata)
            assert src.tags(1)["units"] == ("t CO2 per cell" if k == "sequestration" else "g C m-2 yr-1")
            assert src.crs is not None and src.transform == small_grid.transform
            arrays[k] = src.read(1)
    water = lc == 17
    assert np.isnan(arrays["npp"][water]).all() and np.isfinite(arrays["npp"][~water]).all()
    np.testing.assert_allclose(arrays["nep"], arrays["npp"] - arrays["rh"], rtol=1e-5, atol=1e-3)
    area = open_store(paths["cell_area"])["cell_area_m2"].values
    src, factor = ("nep", 44 / 12) if variant == "fan2024" else ("npp", 1.62 / 0.45)
    np.testing.assert_allclose(arrays["sequestration"], arrays[src] * area * 1e-6 * factor, rtol=1e-5)
    assert rec["sequestration_total_tco2"] == pytest.approx(np.nansum(arrays["sequestration"].astype(float)), rel=1e-5)
    monthly = open_store(out["monthly"])
    assert set(monthly.data_vars) >= set(params.monthly_variables)
    assert monthly["npp"].attrs["units"] == "g C m-2 month-1"
    # the monthly terms are stored packed, each month within its stated precision
    assert monthly["npp"].dtype == np.float32 and monthly["npp"].attrs["precision"] == 0.1
    step = 12 * monthly["npp"].attrs["precision"] * (1 + 1e-6)
    np.testing.assert_allclose(monthly["npp"].sum("month", skipna=False).values, arrays["npp"], rtol=1e-6, atol=step)
    assert rec["cells_by_status"]["computed"] == int((~water).sum())
    assert rec["cells_by_status"]["non-vegetated class"] == int(water.sum())
    assert rec["ndvi_limits"]["types"]["ENF"]["source"] == "percentile"
    assert set(rec["mean_annual_npp_g_c_m2_by_type"]) == {"ENF", "EBF", "DBF", "crop"}


def test_run_casa_year_rejects_wrong_units_and_writes_nothing(tmp_path, small_grid):
    rng = np.random.default_rng(2)
    paths, _ = _write_inputs(tmp_path, small_grid, rng, radiation_units="W m-2")
    out = _outputs(tmp_path)
    with pytest.raises(InputError, match=r"radiation.zarr: variable 'radiation' has units 'W m-2'"):
        run_casa_year(paths, small_grid, CasaParams(), CLASSES, 2020, out)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_plausibility_flags_are_counted(tmp_path, small_grid):
    rng = np.random.default_rng(4)
    paths, lc = _write_inputs(tmp_path, small_grid, rng)
    params = CasaParams.from_config({"plausibility": {"monthly_npp_max": 50, "annual_npp_max": 300}})
    rec = run_casa_year(paths, small_grid, params, CLASSES, 2019, _outputs(tmp_path))
    with rasterio.open(_outputs(tmp_path)["npp"]) as src:
        npp = src.read(1)
    monthly = open_store(_outputs(tmp_path)["monthly"])["npp"].values
    assert rec["plausibility"]["annual_npp_gt_max_cells"] == int(np.nansum(npp > 300)) > 0
    # the stored monthly NPP is within 0.1 (its packing precision) of the value the kernel flagged
    n = rec["plausibility"]["monthly_npp_gt_max_cell_months"]
    assert int(np.nansum(monthly > 50.1)) <= n <= int(np.nansum(monthly >= 49.9)) and n > 0


def test_benchmark_script_runs_small(tmp_path):
    """benchmarks/casa.py end to end on a tiny grid (a smoke test; no timing is asserted)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "casa.py"
    proc = subprocess.run(
        [
            sys.executable,
            str(script),
            "--rows",
            "64",
            "--cols",
            "48",
            "--chunk",
            "32",
            "--repeat",
            "1",
            "--repeat-numpy",
            "1",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"casa_speedup_vs_numpy=\d+\.\d\d peak_rss_gb=\d+\.\d\d", last), last
    assert "store path 128 x 96 (4x)" in proc.stdout
    assert "agreement: total annual NPP relative difference" in proc.stdout


def test_a_missing_ndvi_month_stops_the_run_naming_the_month(tmp_path, small_grid):
    """A whole NDVI month without data would be filled with FPARmin (NPP -19 %); the share of
    vegetated cells without NDVI per month is checked (casa.max_gap_filled_share)."""
    rng = np.random.default_rng(6)
    paths, lc = _write_inputs(tmp_path, small_grid, rng)
    nd = open_store(paths["ndvi"])["ndvi"].values
    nd[4] = np.nan  # May
    write_block(paths["ndvi"], "ndvi", nd.astype("float32"), slice(None), slice(None))
    with pytest.raises(
        InputError,
        match=r"ndvi 2020 \(.*ndvi\.zarr\): vegetated cells without NDVI \(filled with "
        r"FPARmin\) in month 05: 100\.0 % .*casa\.max_gap_filled_share = 0\.1",
    ):
        run_casa_year(paths, small_grid, CasaParams(), CLASSES, 2020, _outputs(tmp_path))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    nd[4, :5] = 0.5  # a few cells of the month have data: still far above the limit
    write_block(paths["ndvi"], "ndvi", nd.astype("float32"), slice(None), slice(None))
    rec = run_casa_year(
        paths, small_grid, CasaParams.from_config({"max_gap_filled_share": 1.0}), CLASSES, 2020, _outputs(tmp_path)
    )
    share = rec["vegetated_cells_without_ndvi_share_by_month"]
    assert share[1] == 0.0 and share[5] == pytest.approx(1 - ((lc[:5] != 17).sum() / (lc != 17).sum()))


def test_ndvi_missing_outside_the_study_area_is_not_a_gap(tmp_path, small_grid):
    """Inputs clipped to the country leave the grid's corners without NDVI: only vegetated
    cells of the study area (the units) count towards casa.max_gap_filled_share."""
    import geopandas as gpd
    from shapely.geometry import box

    rng = np.random.default_rng(7)
    paths, lc = _write_inputs(tmp_path, small_grid, rng)
    nd = open_store(paths["ndvi"])["ndvi"].values
    half = small_grid.width // 2
    nd[:, :, half:] = np.nan  # the eastern half has no NDVI in any month
    write_block(paths["ndvi"], "ndvi", nd.astype("float32"), slice(None), slice(None))
    with pytest.raises(InputError, match="vegetated cells without NDVI"):
        run_casa_year(paths, small_grid, CasaParams(), CLASSES, 2020, _outputs(tmp_path))
    # the units cover the western half only: no gap there
    t = small_grid.transform
    west = box(t.c, t.f + t.e * small_grid.height, t.c + t.a * (half - 1), t.f)
    units = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"unit_id": ["w"]}, geometry=[west], crs=small_grid.crs).to_file(units)
    rec = run_casa_year(paths, small_grid, CasaParams(), CLASSES, 2020, _outputs(tmp_path), units_path=units)
    assert max(rec["vegetated_cells_without_ndvi_share_by_month"].values()) == 0.0


def test_a_batch_of_eps_max_members_writes_what_separate_runs_write(tmp_path, small_grid, monkeypatch):
    import dataclasses

    from carbonbalance.casa import stage
    from carbonbalance.casa.stage import run_casa_members

    monkeypatch.setattr(stage, "MEMBERS_AT_ONCE", 2)  # three members: a chunk's members in two goes
    rng = np.random.default_rng(4)
    paths, _ = _write_inputs(tmp_path, small_grid, rng)
    params = CasaParams.from_config({"min_percentile_samples": 10})
    members = {"low": {t: 0.9 * v for t, v in params.eps_max.items()}, "crop": {"crop": 0.7}, "grass": {"grass": 0.8}}
    outputs = {m: {k: tmp_path / "members" / m / f"{k}.tif" for k in ("npp", "nep", "sequestration")} for m in members}
    rec = run_casa_members(paths, small_grid, params, CLASSES, 2020, members, outputs, threads=2)
    for m, eps in members.items():
        p = dataclasses.replace(params, eps_max={**params.eps_max, **eps})
        out = _outputs(tmp_path / m)
        run_casa_year(paths, small_grid, p, CLASSES, 2020, out, threads=2)
        for k in ("npp", "nep", "sequestration"):
            with rasterio.open(outputs[m][k]) as a, rasterio.open(out[k]) as b:
                np.testing.assert_array_equal(a.read(1), b.read(1))
                assert a.tags(1)["units"] == b.tags(1)["units"] and a.crs == b.crs and a.transform == b.transform
        assert not outputs[m].get("rh")
    assert rec["members"]["crop"]["eps_max"]["crop"] == 0.7 and rec["members"]["crop"]["eps_max"]["ENF"] == 0.389
    assert rec["members"]["low"]["sequestration_total_tco2"] < rec["members"]["crop"]["sequestration_total_tco2"]
