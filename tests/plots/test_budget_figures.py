"""Budget figures: years on one shared scale, group indices from the groups' sums, LMDI bars
that add up to ΔQ, compensation classes by meaning."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from shapely.geometry import box

from carbonbalance.plots import budget as fig
from carbonbalance.plots.maps import NO_DATA, ZONE_COLOURS


def lattice(n=12):
    units = gpd.GeoDataFrame(
        {"county_id": [f"c{i}" for i in range(n)], "province_id": ["P1"] * (n // 2) + ["P2"] * (n - n // 2)},
        geometry=[box(i % 4 * 1e4, i // 4 * 1e4, (i % 4 + 1) * 1e4, (i // 4 + 1) * 1e4) for i in range(n)],
        crs="EPSG:3857",
    )
    return units


def budget_of(units, years=(2019, 2020, 2021), seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for k, year in enumerate(years):
        ce = rng.gamma(2.0, 1e6, len(units)) * (1 + 0.1 * k)
        cs = rng.gamma(2.0, 5e5, len(units))
        rows.append(
            pd.DataFrame(
                {
                    "unit_id": units["county_id"],
                    "province_id": units["province_id"],
                    "year": year,
                    "ce_tco2": ce,
                    "cs_tco2": cs,
                    "cb_tco2": ce - cs,
                    "cbi": ce / cs,
                    "gdp_1e4yuan": rng.gamma(2.0, 1e5, len(units)),
                    "zone_fan2024": np.where(cs > ce, "carbon sink functional", "high-carbon optimisation"),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def panel_colours(figure, n_units):
    """Face colours (hex) of the unit collection of every visible map panel."""
    out = []
    for ax in figure.axes:
        cols = [c for c in ax.collections if len(c.get_paths()) == n_units]
        if ax.get_visible() and cols:
            out.append([to_hex(c) for c in cols[0].get_facecolors()])
    return out


def test_panel_years_keep_the_first_and_last_and_space_the_rest():
    assert fig.panel_years([2021, 2019, 2020]) == [2019, 2020, 2021]
    picked = fig.panel_years(range(2000, 2022))
    assert len(picked) == fig.MAX_YEAR_PANELS and picked[0] == 2000 and picked[-1] == 2021
    assert np.all(np.diff(picked) >= 4)


def test_years_share_one_scale_so_equal_values_get_equal_colours():
    units = lattice()
    b = budget_of(units)
    # unit c0 has the same CBI in every year; c1 jumps from below to above every other value
    b.loc[b["unit_id"] == "c0", "cbi"] = 0.5
    b.loc[(b["unit_id"] == "c1") & (b["year"] == 2021), "cbi"] = 1e3
    b.loc[(b["unit_id"] == "c2") & (b["year"] == 2020), "cbi"] = np.nan
    f = fig.year_panels(units, b, "cbi", None, "county_id", "province_id", "county")
    colours = panel_colours(f, len(units))
    prepared = fig.prepare_units(units, "province_id")  # one simplification for several columns
    again = fig.year_panels(units, b, "cbi", None, "county_id", "province_id", "county", prepared)
    assert panel_colours(again, len(units)) == colours
    assert len(colours) == 3
    assert colours[0][0] == colours[1][0] == colours[2][0]  # one scale: the same value, the same class
    assert colours[1][2] == NO_DATA
    legend = f.legends[0]
    names = [t.get_text() for t in legend.get_texts()]
    assert any(n.endswith("– 1.00") for n in names), names  # a class ends at the threshold 1
    assert "no data" in names and "carbon balance index" in legend.get_title().get_text()
    assert f.get_suptitle().startswith("Carbon balance index CBI")
    # zones: colours by meaning, the same in every year
    z = fig.year_panels(units, b, "zone_fan2024", None, "county_id", None, "county")
    for panel, year in zip(panel_colours(z, len(units)), (2019, 2020, 2021)):
        zones = b[b["year"] == year].set_index("unit_id")["zone_fan2024"].reindex(units["county_id"])
        assert panel == [ZONE_COLOURS[n] for n in zones]


def test_cb_years_diverge_at_zero_with_one_colour_bar_in_mt():
    units = lattice()
    b = budget_of(units)
    f = fig.year_panels(units, b, "cb_tco2", None, "county_id", None, "county")
    bars = [ax for ax in f.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1
    assert "Mt CO₂" in bars[0].get_ylabel() and "carbon budget" in bars[0].get_ylabel()
    lo, hi = bars[0].get_ylim()
    assert lo < 0 < hi


def test_group_indices_come_from_the_groups_sums():
    units = lattice()
    b = budget_of(units)
    g = fig.group_table(b, "province_id").set_index(["unit_id", "year"])
    y = b[b["year"] == 2020]
    p1 = y[y["province_id"] == "P1"]
    assert g.loc[("P1", 2020), "cbi"] == pytest.approx(p1["ce_tco2"].sum() / p1["cs_tco2"].sum(), rel=1e-12)
    ecc = (p1["gdp_1e4yuan"].sum() / y["gdp_1e4yuan"].sum()) / (p1["ce_tco2"].sum() / y["ce_tco2"].sum())
    esc = (p1["cs_tco2"].sum() / y["cs_tco2"].sum()) / (p1["ce_tco2"].sum() / y["ce_tco2"].sum())
    assert g.loc[("P1", 2020), "ecc"] == pytest.approx(ecc, rel=1e-12)
    assert g.loc[("P1", 2020), "esc"] == pytest.approx(esc, rel=1e-12)


def test_trends_draw_the_region_and_every_group_with_the_threshold():
    units = lattice()
    b = budget_of(units)
    f = fig.trends(b, "province_id", None, {"P1": "North", "P2": "South"}, "fan2024", "county")
    region = f.axes[0]
    ce = region.get_lines()[0].get_ydata()
    assert np.allclose(ce, b.groupby("year")["ce_tco2"].sum() / 1e6)  # Mt CO2
    assert "Mt CO₂" in region.get_ylabel()
    cbi_ax = f.axes[4]
    assert any(list(line.get_ydata()) == [1.0, 1.0] for line in cbi_ax.get_lines())  # the threshold
    legend_texts = [t.get_text() for t in f.axes[3].get_legend().get_texts()]
    assert legend_texts == ["North", "South"]
    # two adjacent years: labelled as years, without the "+2.02e3" offset matplotlib would add
    two = fig.trends(b[b["year"] >= 2020], "province_id", None, level="county")
    two.canvas.draw()
    ax = two.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020", "2021"]
    assert ax.xaxis.get_offset_text().get_text() == ""


def test_lmdi_bars_stack_to_the_effects_and_box_plots_past_forty_units():
    rng = np.random.default_rng(1)
    effects = list(fig.LMDI_EFFECTS)

    def table(n):
        t = pd.DataFrame(rng.normal(size=(n, 4)), columns=effects)
        t["dq"] = t[effects].sum(axis=1)
        t["unit_id"] = [f"u{i}" for i in range(n)]
        t.loc[0, "unit_id"] = "region"
        return t.assign(year_0=2019, year_t=2021, name=t["unit_id"])

    small = table(10)
    f = fig.lmdi_bars(small, None, "county")
    region_bars = [p.get_height() for p in f.axes[0].patches]
    assert region_bars == pytest.approx(small.loc[0, effects].tolist())
    units_ax = f.axes[1]
    assert len(units_ax.patches) == 4 * 9  # four effects per unit, the region left out
    big = fig.lmdi_bars(table(60), None, "county")
    assert "59 units as box plots" in big.axes[1].get_title() and len(big.axes[1].patches) == 0


def test_compensation_map_colours_classes_by_meaning():
    units = lattice()
    comp = pd.DataFrame(
        {
            "unit_id": units["county_id"],
            "year": 2021,
            "class": ["high payer", "low payer", "receiver", "not computed"] * 3,
            "m_1e4yuan": [500.0, 20.0, -30.0, np.nan] * 3,
        }
    )
    f = fig.compensation_map(units, comp, "county_id", None, "province_id", "county")
    classes, amounts = panel_colours(f, len(units))
    assert classes[:4] == [fig.COMPENSATION_COLOURS[c] for c in ("high payer", "low payer", "receiver")] + [NO_DATA]
    assert amounts[3] == NO_DATA
    red, blue = (
        (int(amounts[0][1:3], 16), int(amounts[0][5:7], 16)),
        (int(amounts[2][1:3], 16), int(amounts[2][5:7], 16)),
    )
    assert red[0] > red[1] and blue[1] > blue[0]  # payers red, receivers blue
