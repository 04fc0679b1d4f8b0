"""build_payload: every kind of input the predict verb accepts."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jupyter_mlpipe.errors import NotFound, PredictError
from jupyter_mlpipe.serving.client import build_payload


def test_arrays_and_lists_become_tensors() -> None:
    assert build_payload([[1, 2], [3, 4]]) == {
        "data": {"names": [], "tensor": {"shape": [2, 2], "values": [1.0, 2.0, 3.0, 4.0]}}}
    assert build_payload(np.arange(3))["data"]["tensor"]["shape"] == [3]
    assert build_payload((0.5,))["data"]["tensor"]["values"] == [0.5]
    assert build_payload([["a", "b"]]) == {"data": {"names": [], "ndarray": [["a", "b"]]}}
    assert build_payload([[1], [2, 3]]) == {"data": {"names": [], "ndarray": [[1], [2, 3]]}}


def test_dicts() -> None:
    message = {"data": {"ndarray": [1]}, "meta": {"puid": "x"}}
    assert build_payload(message) is message
    assert build_payload({"strData": "s"}) == {"strData": "s"}
    assert build_payload({"free": "form"}) == {"jsonData": {"free": "form"}}


def test_inline_json_and_bytes() -> None:
    assert build_payload(' {"strData": "x"} ') == {"strData": "x"}
    assert build_payload("[1, 2]")["data"]["tensor"]["values"] == [1.0, 2.0]
    assert build_payload(b"\x00\x01") == {"binData": base64.b64encode(b"\x00\x01").decode()}
    with pytest.raises(PredictError, match="inline JSON is not valid"):
        build_payload("{oops")


def test_files(tmp_path: Path) -> None:
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[5, 7] = 255
    Image.fromarray(pixels).convert("RGB").save(tmp_path / "digit.png")
    tensor = build_payload(tmp_path / "digit.png")["data"]["tensor"]
    assert tensor["shape"] == [28, 28]
    assert max(tensor["values"]) == 1.0 and tensor["values"][5 * 28 + 7] == 1.0
    assert sum(tensor["values"]) == 1.0
    Image.fromarray(pixels).save(tmp_path / "digit.jpg")
    assert build_payload(str(tmp_path / "digit.jpg"))["data"]["tensor"]["shape"] == [28, 28]
    np.save(tmp_path / "x.npy", np.ones((2, 3), dtype=np.float32))
    assert build_payload(tmp_path / "x.npy")["data"]["tensor"]["shape"] == [2, 3]
    (tmp_path / "p.json").write_text(json.dumps({"jsonData": {"a": 1}}))
    assert build_payload(str(tmp_path / "p.json")) == {"jsonData": {"a": 1}}


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        build_payload(str(tmp_path / "missing.png"))
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(PredictError, match="not a readable image"):
        build_payload(tmp_path / "bad.png")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(PredictError, match="not valid JSON"):
        build_payload(tmp_path / "bad.json")
    (tmp_path / "scalar.json").write_text("3")
    with pytest.raises(PredictError, match="SeldonMessage object or an array"):
        build_payload(tmp_path / "scalar.json")
    with pytest.raises(PredictError, match="cannot use 'hello'"):
        build_payload("hello")
    with pytest.raises(PredictError, match="cannot send a float"):
        build_payload(3.5)
