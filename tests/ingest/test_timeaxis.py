"""CF time coordinates: the month of every step, in the calendars climate files use."""

import pytest

from carbonbalance.errors import InputError
from carbonbalance.ingest.timeaxis import cf_times


def test_standard_noleap_and_360_day_calendars():
    # mid-month days since 1900-01-01: 2019-01-15 is day 43477, 2020-02-15 day 43874
    assert cf_times([43477, 43874], "days since 1900-01-01", "gregorian") == [(2019, 1), (2020, 2)]
    assert cf_times([1043136], "hours since 1900-01-01 00:00:00", "standard") == [(2019, 1)]
    assert cf_times([0, 31, 59, 364, 365], "days since 2001-01-01", "noleap") == [
        (2001, 1),
        (2001, 2),
        (2001, 3),
        (2001, 12),
        (2002, 1),
    ]
    assert cf_times([0, 30, 359, 360], "days since 2001-01-01", "360_day") == [
        (2001, 1),
        (2001, 2),
        (2001, 12),
        (2002, 1),
    ]
    assert cf_times([86400 * 31], "seconds since 1970-01-01", "proleptic_gregorian") == [(1970, 2)]


def test_unknown_time_units_and_calendars_are_named():
    with pytest.raises(InputError, match=r"f\.nc: time units 'months since 2000-01-01'"):
        cf_times([1], "months since 2000-01-01", where="f.nc")
    with pytest.raises(InputError, match=r"calendar 'julian' is not supported"):
        cf_times([1], "days since 2000-01-01", "julian")
