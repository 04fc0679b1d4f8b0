"""Reliability of the model server under load and under abuse (real processes, loopback)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.integration.serving_harness import MODELS, Client, start_ours, stop

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_BODY = 16384


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log = tmp_path_factory.mktemp("echo") / "server.log"
    child, port = start_ours(MODELS / "echo", log, "--max-body", str(MAX_BODY))
    yield port
    assert child.poll() is None, "the server died during the tests"
    assert stop(child) == 0, log.read_text()[-2000:]


def test_10000_requests_at_concurrency_16_without_an_error(echo: int) -> None:
    total, concurrency = 10_000, 16
    failures: list[str] = []
    answered = Counter[int]()
    reconnects = Counter[int]()
    lock = threading.Lock()

    def worker(index: int) -> None:
        c = Client(echo)
        rng = np.random.default_rng(index)
        try:
            for n in range(total // concurrency):
                values = rng.random(784).round(6).tolist()
                status, reply = c.post_json("/api/v1.0/predictions", {
                    "meta": {"puid": f"{index}-{n}"},
                    "data": {"tensor": {"shape": [1, 784], "values": values}}})
                ok = (status == 200 and reply["meta"]["puid"] == f"{index}-{n}"
                      and reply["data"]["tensor"]["values"] == values
                      and reply["data"]["tensor"]["shape"] == [1, 784])
                with lock:
                    answered[status] += 1
                    if not ok:
                        failures.append(f"{index}-{n}: {status} {str(reply)[:200]}")
        except Exception as exc:  # any transport error is a failure too
            with lock:
                failures.append(f"worker {index}: {exc!r}")
        finally:
            reconnects[index] = c.reconnects
            c.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert answered == {200: total}
    assert sum(reconnects.values()) == 0


def _malformed_cases() -> list[tuple[str, str, bytes | None, dict[str, str], int]]:
    j = {"Content-Type": "application/json"}
    over = json.dumps({"data": {"ndarray": [0.5] * (MAX_BODY // 4)}}).encode()
    cases: list[tuple[str, str, bytes | None, dict[str, str], int]] = [
        ("POST", "/predict", b"{", j, 400),
        ("POST", "/predict", b"[1, 2", j, 400),
        ("POST", "/api/v1.0/predictions", b"null", j, 400),
        ("POST", "/api/v1.0/predictions", b'"text"', j, 400),
        ("POST", "/api/v1.0/predictions", b"\xff\xfe\x00", j, 400),
        ("POST", "/api/v1.0/predictions", b"", j, 400),
        ("POST", "/predict", b'{"data": {"tensor": {"shape": [3], "values": [1, 2]}}}', j, 400),
        ("POST", "/predict", b'{"data": {"tensor": {"shape": [2], "values": ["a", "b"]}}}',
         j, 400),
        ("POST", "/predict", b'{"data": {"tensor": {"shape": "2", "values": [1, 2]}}}', j, 400),
        ("POST", "/predict", b'{"data": {"tensor": {"values": [1, 2]}}}', j, 400),
        ("POST", "/predict", b'{"data": {"ndarray": [[1, 2], [3]]}}', j, 400),
        ("POST", "/predict", b'{"data": {"ndarray": {"a": 1}}}', j, 400),
        ("POST", "/predict", b'{"data": "x"}', j, 400),
        ("POST", "/predict", b'{"strData": 12}', j, 400),
        ("POST", "/predict", b'{"binData": "%%%"}', j, 400),
        ("POST", "/predict", b'{"meta": {"tags": [1]}, "strData": "x"}', j, 400),
        ("POST", "/predict", b'{"unknown": true}', j, 400),
        ("POST", "/predict", over, j, 413),
        ("POST", "/predict", b'{"strData": "x"}', {"Content-Type": "text/plain"}, 415),
        ("POST", "/predict", b"a=b", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
        ("POST", "/v2/models/EchoModel/infer", b'{"inputs": [{"name": "x"}]}', j, 400),
        ("POST", "/v2/models/EchoModel/infer",
         b'{"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1]}]}', j, 400),
        ("POST", "/v2/models/EchoModel/infer", b'{"inputs": 3}', j, 400),
        ("POST", "/v2/models/Other/infer", b"{}", j, 404),
        ("GET", "/no/such/path", None, {}, 404),
        ("GET", "/api/v2.0/predictions", None, {}, 404),
        ("DELETE", "/predict", None, {}, 405),
        ("GET", "/api/v1.0/feedback", None, {}, 405),
        ("POST", "/api/v1.0/feedback", b'{"reward": "x"}', j, 400),
    ]
    return [cases[i % len(cases)] for i in range(1000)]


def test_1000_malformed_requests_get_4xx_json_and_the_server_stays_up(echo: int) -> None:
    c = Client(echo)
    statuses = Counter[int]()
    for method, path, body, headers, expected in _malformed_cases():
        status, got_headers, data = c.request(method, path, body, headers)
        assert status == expected, (method, path, body, data)
        assert got_headers["content-type"] == "application/json"
        reply = json.loads(data)
        if path.startswith("/v2"):
            assert isinstance(reply["error"], str) and reply["error"]
        else:
            assert reply["status"]["code"] == -1 and reply["status"]["info"]
        statuses[status] += 1
    assert sum(statuses.values()) == 1000
    assert set(statuses) == {400, 404, 405, 413, 415}
    # still serving, correctly
    assert c.request("GET", "/health/ping")[2] == b"pong"
    status, reply = c.post_json("/predict", {"data": {"ndarray": [[1, 2]]}})
    assert status == 200 and reply["data"]["ndarray"] == [[1.0, 2.0]]
    c.close()


def test_slow_model_calls_leave_health_checks_answering(tmp_path: Path) -> None:
    # A slow model moves to the worker thread; pings keep answering while it works.
    env = {"PREDICTIVE_UNIT_PARAMETERS": '[{"name": "delay", "value": "0.3", "type": "FLOAT"}]'}
    child, port = start_ours(MODELS / "slow", tmp_path / "log", env=env)
    try:
        c = Client(port)
        for _ in range(3):  # let the server measure the model
            assert c.post_json("/predict", {"data": {"ndarray": [1]}})[0] == 200
        done = threading.Event()
        pings: list[bytes] = []

        def slow() -> None:
            s = Client(port)
            s.post_json("/predict", {"data": {"ndarray": [1]}})
            s.close()
            done.set()

        worker = threading.Thread(target=slow)
        worker.start()
        while not done.is_set():
            pings.append(c.request("GET", "/health/ping")[2])
        worker.join()
        assert len(pings) >= 10 and set(pings) == {b"pong"}
        assert "worker thread" in (tmp_path / "log").read_text()
        c.close()
    finally:
        assert stop(child) == 0
