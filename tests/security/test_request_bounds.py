"""Client mistakes in REST requests are 400s, never 500s, and nothing out of range is saved."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from jupyter_mlpipe.serverext import requests as rq
from jupyter_mlpipe.serverext.errors import BadRequest


@pytest.mark.parametrize("text", ["%C2%B2", "\u00b2", "\u0661\u0662", "\u06f3", "9" * 13,
                                  str(2**53), "0", "00", "+1", " 1"])
def test_ids_outside_ascii_digits_or_range_are_refused(text: str) -> None:
    with pytest.raises(BadRequest, match="ASCII digits"):
        rq.parse_id(text, "experiment")


def test_ids_in_range_pass() -> None:
    assert rq.parse_id("1", "group") == 1
    assert rq.parse_id("999999999999", "group") == 999999999999


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_deeply_nested_bodies_are_refused_in_bounded_memory(depth: int) -> None:
    raw = ('{"payload": ' + "[" * depth + "]" * depth + "}").encode()
    tracemalloc.start()
    try:
        with pytest.raises(BadRequest, match="nests deeper"):
            rq.parse_body(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_nesting_up_to_the_limit_passes() -> None:
    depth = rq.MAX_DEPTH - 1
    body = rq.parse_body(('{"payload": ' + "[" * depth + "]" * depth + "}").encode())
    assert "payload" in body


@pytest.mark.parametrize("number", ["1000000000000000000000000000000", str(-(2**53)),
                                    "9" * 5000])
def test_integers_beyond_2_53_anywhere_in_a_body_are_refused(number: str) -> None:
    with pytest.raises(BadRequest):
        rq.parse_body(f'{{"experiment": {number}}}'.encode())
    with pytest.raises(BadRequest):
        rq.parse_body(f'{{"payload": {{"data": [[1, {number}]]}}}}'.encode())


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_refused(constant: str) -> None:
    with pytest.raises(BadRequest, match="not JSON"):
        rq.parse_body(f'{{"x": {constant}}}'.encode())


def test_out_of_range_ids_in_fields_are_refused() -> None:
    for value in (0, -3, 2**53, 10**30):
        with pytest.raises(BadRequest, match="positive integer"):
            rq.body_id({"experiment": value}, "experiment")


def test_unknown_fields_are_named_with_the_allowed_ones() -> None:
    assert rq.only({"spec": "x"}, ("spec", "file"), "sweep") == {"spec": "x"}
    with pytest.raises(BadRequest) as info:
        rq.only({"spec": "x", "forse": True, "zzz": 1}, ("spec", "file"), "sweep")
    message = str(info.value)
    assert "'forse'" in message and "'zzz'" in message and "file, spec" in message
    with pytest.raises(BadRequest, match="'forse'.*allowed: action, backend, checkpoints"):
        rq.ship_request({"action": "ship", "group": 1, "forse": True}, Path("/tmp"))


def test_a_valid_body_round_trips() -> None:
    body = {"action": "package", "name": "m", "experiment": 3, "force": True}
    assert rq.parse_body(json.dumps(body).encode()) == body
