"""The Open Inference (V2) codec."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_mlpipe.errors import PredictError
from jupyter_mlpipe.serving.v2_protocol import (
    build_infer_response,
    datatype_of,
    encode_output,
    parse_infer,
)


def test_parse_flat_and_nested_data() -> None:
    req = parse_infer({"id": "r1", "inputs": [
        {"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]},
        {"name": "y", "shape": [1, 2], "datatype": "INT64", "data": [[5, 6]]},
    ]})
    assert req.id == "r1"
    x, y = req.inputs
    assert x.array.dtype == np.float32 and x.array.shape == (2, 2)
    assert y.array.dtype == np.int64 and y.array.tolist() == [[5, 6]]


def test_bytes_input() -> None:
    req = parse_infer({"inputs": [{"name": "s", "shape": [2], "datatype": "BYTES",
                                   "data": ["a", "b"]}]})
    assert req.inputs[0].array.tolist() == ["a", "b"]


@pytest.mark.parametrize("message, fragment", [
    ([], "JSON object"),
    ({}, "non-empty list"),
    ({"inputs": []}, "non-empty list"),
    ({"inputs": [5]}, "must be an object"),
    ({"inputs": [{"name": "x"}]}, "missing shape, datatype, data"),
    ({"inputs": [{"name": "x", "shape": [2], "datatype": "FP99", "data": [1, 2]}]}, "FP99"),
    ({"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1, 2]}]},
     "does not hold 3"),
    ({"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": [1]}]}, "shape"),
    ({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ["a"]}]},
     "does not hold"),
    ({"inputs": [{"name": 3, "shape": [1], "datatype": "FP32", "data": [1]}]}, "name"),
    ({"id": 5, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}, "id"),
])
def test_bad_infer_requests(message: object, fragment: str) -> None:
    with pytest.raises(PredictError) as caught:
        parse_infer(message)
    assert caught.value.status == 400
    assert fragment in str(caught.value)
    assert caught.value.body == {"error": str(caught.value)}


def test_outputs() -> None:
    out = encode_output("o", np.arange(6, dtype=np.int32).reshape(2, 3))
    assert out["shape"] == [2, 3] and out["datatype"] == "INT32"
    assert list(out["data"]) == [0, 1, 2, 3, 4, 5]
    assert encode_output("s", np.array(["a"]))["datatype"] == "BYTES"
    assert datatype_of(np.zeros(1, dtype=bool)) == "BOOL"
    assert datatype_of(np.zeros(1, dtype=np.float16)) == "FP16"


def test_response_per_key_and_id() -> None:
    req = parse_infer({"id": "q", "inputs": [{"name": "x", "shape": [1], "datatype": "FP64",
                                              "data": [1]}]})
    reply = build_infer_response("m", req, {"a": [1.0], "b": [2]})
    assert reply["id"] == "q" and reply["model_name"] == "m"
    assert [o["name"] for o in reply["outputs"]] == ["a", "b"]
    with pytest.raises(PredictError) as caught:
        build_infer_response("m", req, np.array([1 + 2j]))
    assert caught.value.status == 500
