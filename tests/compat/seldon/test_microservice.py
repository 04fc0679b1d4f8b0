"""seldon-core v1.17.1 ``python/tests/test_microservice.py`` (REST cases), over HTTP.

The ``model-template-app`` folders served as they are; exact reply bodies compared. Left out:
gRPC, tracing, the Prometheus metrics port and ``/etc/podinfo`` annotations, which the local
server does not have (see docs/compat-seldon.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.compat.seldon.conftest import Unit, start
from tests.integration.serving_harness import stop

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = Unit("MyModel")
SUBMODULE = Unit("mymodule.my_model.MyModel")
PERSISTENCE = Unit("MyModel", env=(("PERSISTENCE", "1"),))
FEEDBACK = ('{"request":{"data":{"names":["a","b"],"ndarray":[[1.0,2.0]]}},'
            '"response":{"meta":{"routing":{"router":0}},"data":{"names":["a","b"],'
            '"ndarray":[[1.0,2.0]]}},"reward":1}')


@pytest.mark.parametrize("unit", [TEMPLATE, SUBMODULE], ids=["app", "submodule"])
def test_model_template_app_rest(serve: Any, unit: Unit) -> None:
    server = serve(unit)
    rv = server.get("/predict", '{"data":{"names":["a","b"],"ndarray":[[1.0,2.0]]}}')
    assert rv.status == 200
    assert rv.json() == {"data": {"names": ["t:0", "t:1"], "ndarray": [[1.0, 2.0]]}, "meta": {}}
    rv = server.get("/send-feedback", FEEDBACK)
    assert rv.status == 200
    assert rv.json() == {"data": {"ndarray": []}, "meta": {}}


def test_model_template_app_rest_tags(serve: Any) -> None:
    rv = serve(TEMPLATE).get(
        "/predict", '{"meta":{"tags":{"foo":"bar"}},"data":{"names":["a","b"],'
                    '"ndarray":[[1.0,2.0]]}}')
    assert rv.status == 200
    assert rv.json() == {"data": {"names": ["t:0", "t:1"], "ndarray": [[1.0, 2.0]]},
                         "meta": {"tags": {"foo": "bar"}}}


def test_model_template_app_rest_metrics(serve: Any) -> None:
    rv = serve(TEMPLATE).get(
        "/predict", '{"meta":{"metrics":[{"key":"mygauge","type":"GAUGE","value":100}]},'
                    '"data":{"names":["a","b"],"ndarray":[[1.0,2.0]]}}')
    assert rv.status == 200
    assert rv.json() == {
        "data": {"names": ["t:0", "t:1"], "ndarray": [[1.0, 2.0]]},
        "meta": {"metrics": [{"key": "mygauge", "type": "GAUGE", "value": 100}]}}


def test_health_status(serve: Any) -> None:
    assert serve(TEMPLATE).request("GET", "/health/status").status == 200


def test_persistence_flag_exist(serve: Any) -> None:
    # PERSISTENCE=1 is accepted (and ignored), as Seldon's "soft" deprecation keeps it.
    assert serve(PERSISTENCE).request("GET", "/health/status").status == 200


@pytest.mark.parametrize("param", [{"type": "FLOAT", "name": "foo", "value": "abc"},
                                   {"type": "FOO", "name": "foo", "value": "abc"}],
                         ids=["bad-value", "bad-type"])
def test_model_template_bad_params(impl: str, tmp_path: Path, param: dict[str, str]) -> None:
    unit = Unit("MyModel", env=(("PREDICTIVE_UNIT_PARAMETERS", json.dumps([param])),))
    server = start(impl, unit, tmp_path, wait=False)
    try:
        code = server.child.wait(timeout=120)
    finally:
        stop(server.child)
    assert code != 0
    if impl == "ours":  # Seldon's exception has no message; ours names the parameter
        assert "parameter 'foo': " in server.log.read_text()
