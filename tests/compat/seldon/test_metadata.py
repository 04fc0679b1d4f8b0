"""seldon-core v1.17.1 ``python/tests/test_metadata.py``: the microservice cases over HTTP.

``MODEL_METADATA`` (JSON or YAML) is merged over ``init_metadata()``; invalid metadata makes
``/metadata`` a 500 ``MICROSERVICE_BAD_METADATA`` while predictions keep working; defaults
come from the image reference. The schema cases run without servers in
``test_metadata_schema.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.compat.seldon.conftest import Unit

pytestmark = [pytest.mark.integration, pytest.mark.slow]

YAML_META = """
---
name: test-name-env
versions: [ test-version ]
platform: test-platform
inputs:
- datatype: BYTES
  name: input
  shape: [ 1, 2 ]
outputs:
- datatype: BYTES
  name: output
  shape: [ 1, 2, 3 ]
custom:
  tag-key: tag-value
"""
JSON_META = """
{
    "name": "test_name_json",
    "versions": ["test-version"],
    "platform": "seldon",
    "inputs": [{"name": "input", "datatype": "BYTES", "shape": [1, 2]}],
    "outputs": [{"name": "output", "datatype": "BYTES", "shape": [1, 2, 3]}],
    "custom": {"tag-key": "tag-value"},
}
"""
METADATA_RESPONSE = {
    "name": "my-model-name",
    "versions": ["model-version"],
    "platform": "model-platform",
    "inputs": [{"name": "input", "datatype": "BYTES", "shape": [1]}],
    "outputs": [{"name": "output", "datatype": "BYTES", "shape": [1]}],
    "custom": {"tag-key": "tag-value"},
}
PREDICT = '{"data": {"names": ["input"], "ndarray": ["data"]}}'


def test_model_metadata_ok(serve: Any) -> None:
    server = serve(Unit("upstream_models.MetadataObject"))
    rv = server.get("/predict", PREDICT)
    assert rv.status == 200 and rv.json()["data"]["ndarray"] == ["data"]
    rv = server.request("GET", "/metadata")
    assert rv.status == 200 and rv.json() == METADATA_RESPONSE


@pytest.mark.parametrize("env_value", [JSON_META, YAML_META], ids=["json", "yaml"])
def test_model_metadata_value_in_env(serve: Any, env_value: str) -> None:
    server = serve(Unit("upstream_models.MetadataObject", env=(("MODEL_METADATA", env_value),)))
    rv = server.get("/predict", PREDICT)
    assert rv.status == 200 and rv.json()["data"]["ndarray"] == ["data"]
    rv = server.request("GET", "/metadata")
    assert rv.status == 200
    assert rv.json() == {**METADATA_RESPONSE, **yaml.safe_load(env_value)}


def test_model_metadata_invalid_user_definition(serve: Any) -> None:
    server = serve(Unit("upstream_models.MetadataObject",
                        params=(("versions_as_string", "BOOL", "true"),)))
    rv = server.get("/predict", PREDICT)
    assert rv.status == 200 and rv.json()["data"]["ndarray"] == ["data"]
    rv = server.request("GET", "/metadata")
    assert rv.status == 500
    assert rv.json() == {"status": {"code": -1, "info": "Model metadata unavailable",
                                    "reason": "MICROSERVICE_BAD_METADATA", "status": 1}}


@pytest.mark.parametrize("image, name, version", [
    (None, "", ""),
    ("seldonio/sklearn-iris:0.1", "seldonio/sklearn-iris", "0.1"),
    ("localhost:32000/sklearn-iris:0.1", "localhost:32000/sklearn-iris", "0.1"),
], ids=["no-image", "image", "registry-port"])
def test_default_values(serve: Any, image: str | None, name: str, version: str) -> None:
    env = (("PREDICTIVE_UNIT_IMAGE", image),) if image else ()
    rv = serve(Unit("upstream_models.PlainObject", env=env)).request("GET", "/metadata")
    assert rv.status == 200
    assert rv.json() == {"name": name, "versions": [version], "platform": "", "inputs": [],
                         "outputs": [], "custom": {}}
