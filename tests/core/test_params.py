"""The typed parameters of every config section: their defaults equal the schema's (one
model, tested for drift), they round-trip, and an unknown key names the section."""

import pytest
from helpers import ROOT

from carbonbalance.budget.params import TablesParams
from carbonbalance.casa.params import CasaParams
from carbonbalance.core.blocks import DaskParams
from carbonbalance.core.config import load_schema, schema_defaults, subschema
from carbonbalance.core.grid import GridParams
from carbonbalance.demo.params import DemoParams
from carbonbalance.econometrics.params import EconometricsParams
from carbonbalance.emissions.params import EmissionParams
from carbonbalance.ensemble.params import EnsembleParams
from carbonbalance.errors import ConfigError
from carbonbalance.ingest.params import BoundariesParams, RasterInput, StatisticsParams
from carbonbalance.spatial.params import SpatialParams
from carbonbalance.zonal.params import ZonalParams

SCHEMA = load_schema(ROOT / "workflow/schemas/config.schema.yaml")
SECTIONS = [
    ("grid", GridParams()),
    ("demo", DemoParams()),
    ("casa", CasaParams()),
    ("emissions", EmissionParams()),
    ("zonal", ZonalParams()),
    ("dask", DaskParams()),
    ("tables", TablesParams()),
    ("analysis", SpatialParams()),
    ("econometrics", EconometricsParams()),
    ("ensemble", EnsembleParams()),
    ("boundaries", BoundariesParams(path="b.gpkg", levels=[{"name": "county", "id": "county_id"}])),
    ("statistics", StatisticsParams(path="s.csv", columns={})),
]


@pytest.mark.parametrize("section, params", SECTIONS, ids=[s for s, _ in SECTIONS])
def test_schema_defaults_equal_the_parameter_objects(section, params):
    want = schema_defaults(SCHEMA, subschema(SCHEMA, section))
    got = {k: v for k, v in params.to_config().items() if k in want or k not in ("path", "levels", "columns")}
    assert got == want


@pytest.mark.parametrize("section, params", SECTIONS, ids=[s for s, _ in SECTIONS])
def test_parameters_round_trip_and_reject_unknown_keys(section, params):
    assert type(params).from_config(params.to_config()) == params
    with pytest.raises(ConfigError, match=rf"{section}: unknown key\(s\) \['typo'\]"):
        type(params).from_config({**params.to_config(), "typo": 1})


def test_raster_input_defaults_equal_the_schema():
    """Keys with a schema default have it in RasterInput; keys without one are None there
    (taken from the product preset or the file's attributes when the config leaves them out)."""
    raster = SCHEMA["$defs"]["raster"]
    want = schema_defaults(SCHEMA, raster)
    spec = RasterInput.from_config("ndvi", {"path": "x_{year}_{month}.tif"})
    field = {"variable": "file_variable"}
    for key in raster["properties"]:
        value = getattr(spec, field.get(key, key))
        if key == "path":
            continue
        if key in want:
            assert value == want[key], key
        else:
            assert value in (None, (), spec.resampling), key
    assert spec.resampling == "bilinear"  # the first allowed method when neither config nor preset names one


def test_dask_scheduler_must_be_threads_local_or_an_address():
    assert DaskParams.from_config({"scheduler": "tcp://10.0.0.1:8786"}).scheduler == "tcp://10.0.0.1:8786"
    with pytest.raises(ConfigError, match="dask.scheduler: 'lokal'"):
        DaskParams.from_config({"scheduler": "lokal"})
