"""The casa config section: errors name the key."""

import pytest

from carbonbalance.casa import params
from carbonbalance.casa.params import CasaParams
from carbonbalance.errors import ConfigError


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="casa: unknown key"):
        CasaParams.from_config({"alpah": 0.5})
    with pytest.raises(ConfigError, match="ndvi_table.ENF"):
        CasaParams.from_config({"ndvi_table": {"ENF": [0.7, 0.5]}})
    with pytest.raises(ConfigError, match="landcover_classes: code 1 maps to unknown class .forest."):
        params.type_lookup({"1": "forest"})
