"""Unit conversions into the canonical units, with real month lengths."""

import numpy as np
import pytest

from carbonbalance.errors import ConfigError
from carbonbalance.ingest.units import days_in_month, to_canonical


@pytest.mark.parametrize(
    "year,month,days",
    [(2019, 2, 28), (2020, 2, 29), (2000, 2, 29), (1900, 2, 28), (2021, 1, 31), (2021, 4, 30), (2021, 12, 31)],
)
def test_days_in_month_real_calendar(year, month, days):
    assert days_in_month(year, month) == days


def test_w_m2_to_mj_m2_month_uses_real_month_lengths():
    w = np.array([100.0])
    # 100 W m-2 for a day = 8.64 MJ m-2
    assert to_canonical(w, "radiation", "W m-2", 2021, 1)[0] == pytest.approx(8.64 * 31, rel=1e-12)
    assert to_canonical(w, "radiation", "W m-2", 2019, 2)[0] == pytest.approx(8.64 * 28, rel=1e-12)
    assert to_canonical(w, "radiation", "W m-2", 2020, 2)[0] == pytest.approx(8.64 * 29, rel=1e-12)  # leap
    assert to_canonical(w, "radiation", "W m-2", 2020, 4)[0] == pytest.approx(8.64 * 30, rel=1e-12)


def test_other_unit_conversions():
    assert to_canonical(np.array([5e8]), "radiation", "J m-2")[0] == pytest.approx(500.0)
    assert to_canonical(np.array([300.15]), "temperature", "K")[0] == pytest.approx(27.0)
    assert to_canonical(np.array([2.0]), "precipitation", "mm day-1", 2020, 2)[0] == pytest.approx(58.0)
    assert to_canonical(np.array([0.1]), "precipitation", "m")[0] == pytest.approx(100.0)


@pytest.mark.parametrize("year, days", [(2020, 29), (2019, 28)])
def test_era5_per_day_accumulations_times_the_days_of_february(year, days):
    """ERA5(-Land) monthly means are per-day accumulations: m day-1 of precipitation and
    J m-2 day-1 of solar radiation, × the real number of days (February 2020: 29)."""
    tp = to_canonical(np.array([0.003]), "precipitation", "m day-1", year, 2)[0]
    assert tp == pytest.approx(3.0 * days, rel=1e-12)  # mm month-1
    ssrd = to_canonical(np.array([1.5e7]), "radiation", "J m-2 day-1", year, 2)[0]
    assert ssrd == pytest.approx(15.0 * days, rel=1e-12)  # MJ m-2 month-1
    with pytest.raises(ConfigError, match="needs the year and month"):
        to_canonical(np.array([1.0]), "radiation", "J m-2 day-1")


def test_unknown_unit_names_variable_and_key():
    with pytest.raises(ConfigError, match=r"inputs\.radiation\.units: unknown unit 'cal cm-2'"):
        to_canonical(np.array([1.0]), "radiation", "cal cm-2", 2020, 1)
