"""seldon-core v1.17.1 ``python/tests/test_metadata.py``: the schema cases, without servers.

Our validator (:func:`jupyter_mlpipe.serving.metadata.validate`) must accept and refuse what
Seldon's ``validate_model_metadata`` does; ``test_metadata.py`` checks the same rules over
HTTP against both servers. (The protobuf conversions upstream also checks are gRPC only.)
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from jupyter_mlpipe.serving.metadata import InvalidMetadata, validate

DEFAULTS = {"name": "", "versions": [""], "platform": "", "inputs": [], "outputs": [],
            "custom": {}}


def test_default_values() -> None:
    assert validate({}) == DEFAULTS


@pytest.mark.parametrize("image, name, version", [
    ("seldonio/sklearn-iris:0.1", "seldonio/sklearn-iris", "0.1"),
    ("localhost:32000/sklearn-iris:0.1", "localhost:32000/sklearn-iris", "0.1"),
])
def test_default_values_with_image(image: str, name: str, version: str) -> None:
    assert validate({}, image) == {**DEFAULTS, "name": name, "versions": [version]}


def _v1(inputs: str, outputs: str) -> dict[str, Any]:
    return yaml.safe_load(f"""
        name: my-model-name
        versions: [ my-model-version-01 ]
        platform: seldon
        inputs:
{inputs}
        outputs:
{outputs}
        custom:
          tag-key: tag-value
    """)


@pytest.mark.parametrize("messagetype", ["tensor", "ndarray", "tftensor", "jsonData", "binData",
                                         "strData", "custom_data"])
def test_v1_only_messagetype(messagetype: str) -> None:
    entry = f"        - messagetype: {messagetype}"
    assert validate(_v1(entry, entry)) == {
        "name": "my-model-name", "versions": ["my-model-version-01"], "platform": "seldon",
        "inputs": [{"messagetype": messagetype}], "outputs": [{"messagetype": messagetype}],
        "custom": {"tag-key": "tag-value"}}


def test_v1_mixed_multiple_inputs() -> None:
    data = _v1('        - messagetype: "tensor"\n          schema:\n            names: [a, b, c, d]'
               '\n            shape: [ 2, 2 ]\n        - messagetype: jsonData',
               '        - messagetype: "binData"')
    assert validate(data)["inputs"] == [
        {"messagetype": "tensor", "schema": {"names": ["a", "b", "c", "d"], "shape": [2, 2]}},
        {"messagetype": "jsonData"}]


@pytest.mark.parametrize("messagetype", ["tensor", "ndarray", "tftensor", "custom_data"])
def test_v1_array(messagetype: str) -> None:
    data = _v1(f"        - messagetype: {messagetype}\n          schema:\n"
               "            names: [a, b, c, d]\n            shape: [ 2, 2 ]",
               f"        - messagetype: {messagetype}\n          schema:\n            shape: [ 1 ]")
    meta = validate(data)
    assert meta["inputs"] == [{"messagetype": messagetype,
                               "schema": {"names": ["a", "b", "c", "d"], "shape": [2, 2]}}]
    assert meta["outputs"] == [{"messagetype": messagetype, "schema": {"shape": [1]}}]


def test_v1_json_with_schema() -> None:
    schema = {"type": "object", "properties": {
        "names": {"type": "array", "items": {"type": "string"}},
        "data": {"type": "array", "items": {"type": "number", "format": "double"}}}}
    meta = validate({"inputs": [{"messagetype": "jsonData", "schema": schema}],
                     "outputs": [{"messagetype": "jsonData"}]})
    assert meta["inputs"][0]["schema"] == schema


@pytest.mark.parametrize("invalid_input", [
    {},
    {"messagetype": "mytype"},
    {"messagetype": "array"},
    {"messagetype": "array", "shape": "1, 2"},
    {"messagetype": "array", "shape": [2, 2], "invalid": "field"},
    {"messagetype": "jsonData", "invalid": "field"},
    {"messagetype": "jsonData", "schema": "some string"},
    {"messagetype": "strData", "invalid": "field"},
    {"messagetype": "binData", "invalid": "field"},
])
def test_v1_invalid_inputs(invalid_input: dict[str, Any]) -> None:
    # As upstream: the entry is given in place of the list, which is what makes it invalid.
    valid = {"inputs": [{"messagetype": "strData"}], "outputs": [{"messagetype": "strData"}]}
    with pytest.raises(InvalidMetadata):
        validate({**valid, "inputs": invalid_input})
    with pytest.raises(InvalidMetadata):
        validate({**valid, "outputs": invalid_input})


@pytest.mark.parametrize("messagetype", ["tensor", "ndarray", "tftensor", "binData", "strData"])
def test_v1_invalid_schema_fields(messagetype: str) -> None:
    with pytest.raises(InvalidMetadata):
        validate({"inputs": [{"messagetype": messagetype,
                              "schema": {"custom-field": "custom-def"}}]})


@pytest.mark.parametrize("messagetype", ["jsonData", "customData"])
def test_v1_valid_custom_schema(messagetype: str) -> None:
    validate({"inputs": [{"messagetype": messagetype, "schema": {"custom-field": "custom-def"}}]})


def test_v2_and_mix() -> None:
    tensor_in = {"datatype": "BYTES", "name": "input", "shape": [1, 4]}
    tensor_out = {"datatype": "BYTES", "name": "output", "shape": [3]}
    assert validate({"inputs": [tensor_in], "outputs": [tensor_out]})["inputs"] == [tensor_in]
    mixed = validate({"inputs": [tensor_in, {"messagetype": "jsonData"}],
                      "outputs": [tensor_out]})
    assert mixed["inputs"] == [tensor_in, {"messagetype": "jsonData"}]


@pytest.mark.parametrize("image", [None, "seldonio/sklearn-iris:0.1",
                                   "localhost:32000/sklearn-iris:0.1"])
def test_validate_model_metadata_keeps_given_values(image: str | None) -> None:
    meta = {"name": "my-model-name", "versions": ["model-version"],
            "platform": "model-platform",
            "inputs": [{"name": "input", "datatype": "BYTES", "shape": [1]}],
            "outputs": [{"name": "output", "datatype": "BYTES", "shape": [1]}],
            "custom": {"tag-key": "tag-value"}}
    assert validate(meta, image) == meta


@pytest.mark.parametrize("versions", ["v1", [1], "[v]", "[1]", 1, 1.1])
def test_validate_model_metadata_wrong_versions(versions: Any) -> None:
    with pytest.raises(InvalidMetadata, match="versions"):
        validate({"versions": versions})


@pytest.mark.parametrize("tensor", [
    {"name": "tensor-name", "datatype": "data-type", "shape": [1, 2]},
    "some string",
    ["some string in array"],
])
def test_validate_model_metadata_wrong_inputs_outputs(tensor: Any) -> None:
    with pytest.raises(InvalidMetadata):
        validate({"inputs": tensor})
    with pytest.raises(InvalidMetadata):
        validate({"outputs": tensor})
