"""Figure labels: one table of readable names, units typeset (issue 20)."""

import pytest

from carbonbalance.plots.labels import LABELS, label, pretty_units, title


@pytest.mark.parametrize(
    "units, pretty",
    [
        ("g C m-2 yr-1", "g C m⁻² yr⁻¹"),
        ("t CO2", "t CO₂"),
        ("t CO2 per cell", "t CO₂ per cell"),
        ("kg CO2 m-2 s-1", "kg CO₂ m⁻² s⁻¹"),
        ("nW cm-2 sr-1", "nW cm⁻² sr⁻¹"),
        ("MJ m-2 month-1", "MJ m⁻² month⁻¹"),
        ("10^4 yuan", "10⁴ yuan"),
        ("degC", "°C"),
        ("persons", "persons"),
        ("1", "1"),
    ],
)
def test_units_are_typeset(units, pretty):
    assert pretty_units(units) == pretty


def test_labels_come_from_the_table_and_unknown_columns_are_named():
    assert label("ce_tco2") == "carbon emissions CE (t CO₂)"
    assert label("cbi") == "carbon balance index CBI = CE / CS"  # a ratio: no units
    assert title("npp", 2020) == "Net primary production NPP, 2020"
    assert title("emissions_urban", 2019) == "Urban CO₂ emissions, 2019"
    assert all("_" not in label(c) for c in LABELS)  # no column names in what a reader sees
    with pytest.raises(KeyError, match="'ce' has no entry in carbonbalance.plots.labels.LABELS"):
        label("ce")


def test_masses_are_shown_in_kt_mt_or_gt_without_an_axis_offset():
    from carbonbalance.plots.labels import readable_scale

    assert readable_scale([2.5e7, 3e5], "t CO2") == (1e6, "Mt CO2")
    assert readable_scale([4.0e3, float("nan")], "t CO2") == (1e3, "kt CO2")
    assert readable_scale([12.0], "t CO2") == (1.0, "t CO2")
    assert readable_scale([3e9], "t") == (1e9, "Gt")
    assert readable_scale([5e7], "") == (1.0, "")  # a ratio keeps its numbers


@pytest.mark.parametrize(
    "expr, shown",
    [
        ("log(gdp_1e4yuan/population_persons)", "log(GDP per person)"),
        ("log(co2_tco2/population_persons)", "log(CO₂ per person)"),
        ("urbanisation_rate", "urbanisation rate"),
        ("log(energy_efficiency_1e4yuan_per_tce)", "log(energy efficiency)"),
        ("w_inverse_distance^2", "weights inverse distance²"),
        ("ce_tco2", "carbon emissions CE"),
    ],
)
def test_model_variables_read_as_words(expr, shown):
    from carbonbalance.plots.labels import expression_label

    assert expression_label(expr) == shown
