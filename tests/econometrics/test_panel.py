"""Panel variables: expressions, winsorising."""

import numpy as np
import pandas as pd
import pytest

from carbonbalance import econometrics as em
from carbonbalance.errors import ConfigError, InputError


def test_winsorize_clips_at_pooled_quantiles():
    df = pd.DataFrame({"a": np.arange(101, dtype=float), "b": np.r_[np.zeros(100), 1000.0]})
    out = em.winsorize(df, ["a", "b"], 0.01, 0.99)
    assert out["a"].min() == 1.0 and out["a"].max() == 99.0
    assert out["b"].max() == 0.0 and out.attrs["winsorized"] == {"a": 2, "b": 1}
    assert df["b"].max() == 1000.0  # the input is untouched
    with pytest.raises(ConfigError):
        em.winsorize(df, ["a"], 0.5, 0.1)


def test_variable_expressions():
    df = pd.DataFrame({"gdp": [10.0, 20.0], "pop": [2.0, 5.0], "z": [0.0, 1.0]})
    np.testing.assert_allclose(em.evaluate(df, "log(gdp/pop)"), np.log([5.0, 4.0]))
    np.testing.assert_allclose(em.evaluate(df, "gdp / pop"), [5.0, 4.0])
    np.testing.assert_allclose(em.evaluate(df, "log1p(z)"), np.log1p([0.0, 1.0]))
    with pytest.raises(InputError, match="log of values out of its domain"):
        em.evaluate(df, "log(z)")
    with pytest.raises(InputError, match="'nope'"):
        em.evaluate(df, "log(nope)")
    with pytest.raises(ConfigError, match="cannot read"):
        em.evaluate(df, "gdp ** 2")
    # zero population in a unit-year: the error names the unit and the year, not a row number
    panel = pd.DataFrame(
        {"unit_id": ["360100", "360200"], "year": [2020, 2021], "co2": [5.0, 6.0], "population_persons": [1e5, 0.0]},
        index=[7, 3],
    )
    with pytest.raises(
        InputError,
        match=r"divides by 'population_persons' = 0 for \(unit, year\) "
        r"\[\('360200', 2021\)\]",
    ):
        em.evaluate(panel, "log(co2/population_persons)")
