"""The Seldon protocol codec: parsing requests, building replies, error bodies."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from jupyter_mlpipe.errors import PredictError
from jupyter_mlpipe.serving.seldon_protocol import (
    build_meta,
    build_response,
    class_names_for,
    error_body,
    new_puid,
    parse_request,
)


def test_tensor_is_reshaped() -> None:
    req = parse_request({"data": {"tensor": {"shape": [2, 2], "values": [1, 2, 3, 4]}}})
    assert req.form == "tensor"
    assert req.features.shape == (2, 2)
    assert req.features.tolist() == [[1, 2], [3, 4]]
    assert req.names == []


def test_ndarray_keeps_names_and_meta() -> None:
    req = parse_request({"meta": {"puid": "p1"},
                         "data": {"names": ["a", "b"], "ndarray": [[1.5, 2.5]]}})
    assert req.form == "ndarray"
    assert req.features.shape == (1, 2)
    assert req.names == ["a", "b"]
    assert req.meta == {"puid": "p1"}


def test_other_payload_forms() -> None:
    assert parse_request({"jsonData": {"k": [1]}}).features == {"k": [1]}
    assert parse_request({"strData": "hi"}).features == "hi"
    raw = base64.b64encode(b"\x00\x01bytes").decode()
    assert parse_request({"binData": raw}).features == b"\x00\x01bytes"
    empty = parse_request({"data": {}})
    assert empty.form == "data" and empty.features.size == 0


@pytest.mark.parametrize("message, fragment", [
    ([1, 2], "Invalid request data type"),
    ({}, "needs one of data"),
    ({"data": [1]}, "\"data\" must be an object"),
    ({"data": {"tensor": {"values": [1]}}}, "needs \"shape\" and \"values\""),
    ({"data": {"tensor": {"shape": [3], "values": [1, 2]}}}, "do not fit shape"),
    ({"data": {"tensor": {"shape": "3", "values": [1, 2, 3]}}}, "shape must be a list"),
    ({"data": {"tensor": {"shape": [1], "values": ["x"]}}}, "flat list of numbers"),
    ({"data": {"tensor": {"shape": [2], "values": [[1], [2]]}}}, "flat list of numbers"),
    ({"data": {"ndarray": [[1, 2], [3]]}}, "same length"),
    ({"data": {"ndarray": 5}}, "must be a (nested) list"),
    ({"data": {"names": "a", "ndarray": [1]}}, "names must be a list"),
    ({"data": {"tftensor": {}}}, "tftensor is not supported"),
    ({"strData": 5}, "strData must be a string"),
    ({"binData": "***"}, "not valid base64"),
    ({"binData": 7}, "binData must be a base64 string"),
    ({"meta": [], "strData": "x"}, "\"meta\" must be an object"),
    ({"meta": {"tags": []}, "strData": "x"}, "meta.tags must be an object"),
    ({"meta": {"puid": 3}, "strData": "x"}, "meta.puid must be a string"),
])
def test_bad_requests_are_400_with_seldon_body(message: object, fragment: str) -> None:
    with pytest.raises(PredictError) as caught:
        parse_request(message)
    err = caught.value
    assert err.status == 400
    assert fragment in str(err)
    assert err.body == error_body(str(err))
    assert err.body["status"]["reason"] == "MICROSERVICE_BAD_DATA"


def test_reply_mirrors_tensor_and_names_default() -> None:
    req = parse_request({"data": {"tensor": {"shape": [1, 3], "values": [1, 2, 3]}}})
    reply = build_response(req, np.array([[0.1, 0.9]]), puid="fixed")
    tensor = reply["data"]["tensor"]
    assert tensor["shape"] == [1, 2]
    assert list(tensor["values"]) == [0.1, 0.9]
    assert reply["data"]["names"] == ["t:0", "t:1"]
    assert reply["meta"] == {"puid": "fixed"}


def test_reply_mirrors_ndarray_and_uses_class_names() -> None:
    req = parse_request({"data": {"ndarray": [[1, 2]]}})
    reply = build_response(req, [[3, 4]], model_names=lambda: ["a", "b"])
    assert reply["data"] == {"ndarray": [[3, 4]], "names": ["a", "b"]}


def test_one_dimensional_results_have_no_names() -> None:
    req = parse_request({"data": {"ndarray": [1, 2]}})
    assert build_response(req, np.array([1.0, 2.0]))["data"]["names"] == []


def test_non_numeric_results_are_ndarray_even_for_tensor_requests() -> None:
    req = parse_request({"data": {"tensor": {"shape": [1], "values": [1]}}})
    reply = build_response(req, np.array([["cat", "dog"]]))
    assert "ndarray" in reply["data"]


def test_scalar_kinds_of_result() -> None:
    req = parse_request({"strData": "x"})
    assert build_response(req, {"a": 1})["jsonData"] == {"a": 1}
    assert build_response(req, "out")["strData"] == "out"
    assert build_response(req, b"\x01")["binData"] == base64.b64encode(b"\x01").decode()
    with pytest.raises(PredictError) as caught:
        build_response(req, 3.5)
    assert caught.value.status == 500


def test_meta_echoes_puid_merges_tags_and_request_path() -> None:
    meta = {"puid": "abc", "tags": {"a": 1}, "metrics": [{"key": "k", "type": "GAUGE",
                                                         "value": 1}]}
    out = build_meta(meta, tags={"b": 2}, metrics=[{"key": "m", "type": "COUNTER", "value": 2}],
                     request_path={"Model": "img:1"})
    assert out["puid"] == "abc"
    assert out["tags"] == {"a": 1, "b": 2}
    assert [m["key"] for m in out["metrics"]] == ["k", "m"]
    assert out["requestPath"] == {"Model": "img:1"}


def test_generated_puids_are_seldon_like_and_unique() -> None:
    ids = {new_puid() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(p) == 26 and p.isalnum() and p.lower() == p for p in ids)
    assert build_meta({}, make_puid=True)["puid"] != build_meta({}, make_puid=True)["puid"]
    assert "puid" not in build_meta({})


def test_class_names_for() -> None:
    assert class_names_for(np.zeros((2, 3)), None) == ["t:0", "t:1", "t:2"]
    assert class_names_for(np.zeros(3), lambda: ["x"]) == []
    assert class_names_for(np.zeros((1, 2)), lambda: ("a", "b")) == ["a", "b"]
    assert class_names_for(np.zeros((1, 2)), lambda: None) == ["t:0", "t:1"]
