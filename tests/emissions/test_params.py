"""The emissions config section: errors name the key."""

import pytest

from carbonbalance.emissions.params import EmissionParams
from carbonbalance.errors import ConfigError


def test_emission_config_errors():
    with pytest.raises(ConfigError, match="emissions.method"):
        EmissionParams.from_config({"method": "ntl"})
    with pytest.raises(ConfigError, match="unknown key"):
        EmissionParams.from_config({"totals_levle": "city"})
    with pytest.raises(ConfigError, match="emissions.fallback"):
        EmissionParams.from_config({"fallback": ["light", "gdp"]})
