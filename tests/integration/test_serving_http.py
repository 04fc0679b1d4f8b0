"""The model server over real HTTP on loopback: every route, payload form and error shape."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jupyter_mlpipe.errors import PredictError
from jupyter_mlpipe.serving import client
from tests.integration.serving_harness import MODELS, REPO, Client, start_ours, stop

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log = tmp_path_factory.mktemp("rich") / "server.log"
    child, port = start_ours(MODELS / "rich", log, "--name", "mnist", "--max-body", "65536")
    yield port
    assert stop(child) == 0, log.read_text()[-2000:]


@pytest.fixture
def http(rich: int) -> Iterator[Client]:
    c = Client(rich)
    yield c
    c.close()


TENSOR = {"data": {"tensor": {"shape": [2, 3], "values": [1, 2, 3, 4, 5, 6]}}}


@pytest.mark.parametrize("path", [
    "/predict", "/api/v1.0/predictions", "/api/v0.1/predictions",
    "/seldon/mnist/api/v0.1/predictions", "/seldon/models/mnist/api/v1.0/predictions",
])
def test_every_prediction_route(http: Client, path: str) -> None:
    status, reply = http.post_json(path, {**TENSOR, "meta": {"puid": "given", "tags": {"a": 1}}})
    assert status == 200
    assert reply["data"]["tensor"] == {"shape": [2, 3],
                                       "values": [6.0, 2.0, 3.0, 15.0, 5.0, 6.0]}
    assert reply["data"]["names"] == ["sum", "mean", "max"]
    assert reply["meta"]["puid"] == "given"
    assert reply["meta"]["tags"] == {"a": 1, "model": "rich", "loaded": True}
    # Without PREDICTIVE_UNIT_ID the unit adds no requestPath (and never its folder path).
    assert "requestPath" not in reply["meta"] and str(MODELS) not in json.dumps(reply)


def test_every_payload_form(http: Client) -> None:
    status, reply = http.post_json("/predict", {"data": {"names": ["x", "y"],
                                                         "ndarray": [[1, 2], [3, 5]]}})
    assert status == 200 and reply["data"]["ndarray"] == [[3.0, 1.5, 2.0], [8.0, 4.0, 5.0]]
    assert http.post_json("/predict", {"strData": "hey"})[1]["strData"] == "HEY"
    raw = base64.b64encode(b"\x00\x01\x02").decode()
    reply = http.post_json("/predict", {"binData": raw})[1]
    assert base64.b64decode(reply["binData"]) == b"\x02\x01\x00"
    reply = http.post_json("/predict", {"jsonData": {"q": [1, 2]}, "meta": {}})[1]
    assert reply["jsonData"] == {"echo": {"q": [1, 2]}, "names": [], "meta_seen": True}
    assert "puid" not in reply["meta"]  # Seldon's microservice makes none; its executor does
    ingress = "/seldon/models/mnist/api/v1.0/predictions"
    puid = http.post_json(ingress, {"strData": ""})[1]["meta"]["puid"]
    assert len(puid) == 26 and puid != http.post_json(ingress, {"strData": ""})[1]["meta"]["puid"]


def test_form_encoded_and_query_requests(http: Client) -> None:
    body = "json=" + json.dumps({"strData": "form"})
    status, _, data = http.request("POST", "/api/v1.0/predictions", body.encode(),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and json.loads(data)["strData"] == "FORM"
    status, _, data = http.request("GET", "/predict?json=%7B%22strData%22%3A%22q%22%7D")
    assert status == 200 and json.loads(data)["strData"] == "Q"


def test_health_metadata_feedback(http: Client) -> None:
    assert http.request("GET", "/health/ping")[2] == b"pong"
    status, headers, data = http.request("GET", "/health/status")
    assert status == 200 and json.loads(data)["jsonData"] == {"loaded": True}
    assert json.loads(http.request("GET", "/metadata")[2])["platform"] == "numpy"
    status, reply = http.post_json("/api/v1.0/feedback", {
        "request": {"data": {"ndarray": [[1, 2]]}}, "response": {"meta": {}},
        "truth": {"data": {"ndarray": [[1]]}}, "reward": 1})
    assert status == 200 and reply["data"]["ndarray"][0][1] == 1.0


def test_v2_protocol(http: Client) -> None:
    assert json.loads(http.request("GET", "/v2/health/live")[2]) == {"live": True}
    assert json.loads(http.request("GET", "/v2/health/ready")[2]) == {"ready": True}
    assert json.loads(http.request("GET", "/v2/models/mnist/ready")[2])["ready"] is True
    assert json.loads(http.request("GET", "/v2/models/mnist")[2])["name"] == "mnist"
    status, reply = http.post_json("/v2/models/mnist/infer", {"inputs": [
        {"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [[2, 4]]}]})
    assert status == 200
    assert reply["outputs"] == [{"name": "output-0", "shape": [1, 3], "datatype": "FP64",
                                 "data": [6.0, 3.0, 4.0]}]
    status, reply = http.post_json("/v2/models/nope/infer", {"inputs": []})
    assert status == 404 and "error" in reply


@pytest.mark.parametrize("method, path, body, ctype, expected", [
    ("POST", "/predict", b"{", "application/json", 400),
    ("POST", "/predict", b'{"data": {"tensor": {"shape": [4], "values": [1]}}}',
     "application/json", 400),
    ("POST", "/predict", b'{"data": {"ndarray": [[1], [1, 2]]}}', "application/json", 400),
    ("POST", "/predict", b'{"hello": 1}', "application/json", 400),
    ("POST", "/predict", b"<xml/>", "application/xml", 415),
    ("POST", "/predict", b"x" * 70000, "application/json", 413),
    ("GET", "/nothing/here", None, None, 404),
    ("PUT", "/api/v1.0/predictions", b"{}", "application/json", 405),
    ("POST", "/seldon/other/api/v0.1/predictions", b'{"strData": ""}', "application/json", 404),
])
def test_errors_are_json_never_html(http: Client, method: str, path: str, body: bytes | None,
                                    ctype: str | None, expected: int) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    status, got_headers, data = http.request(method, path, body, headers)
    assert status == expected
    assert got_headers["content-type"] == "application/json"
    reply = json.loads(data)
    assert reply["status"]["code"] == -1 and reply["status"]["status"] == 1
    assert "Traceback" not in data.decode()


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /health/ping HTTP/1.1\r\nBad Header Line\r\n\r\n",
])
def test_unparsable_http_gets_a_json_400(rich: int, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", rich), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["status"]["reason"] == "MICROSERVICE_BAD_DATA"


def test_model_failure_is_500_and_server_survives(tmp_path: Path) -> None:
    child, port = start_ours(MODELS / "failing", tmp_path / "log")
    try:
        c = Client(port)
        for _ in range(3):
            status, reply = c.post_json("/predict", {"data": {"ndarray": [[1.0]]}})
            assert status == 500
            assert reply == {"status": {"code": -1, "info": "the model cannot handle this input",
                                        "reason": "MICROSERVICE_INTERNAL_ERROR", "status": 1}}
        assert c.request("GET", "/health/ping")[2] == b"pong"
        c.close()
    finally:
        assert stop(child) == 0
    assert "ValueError: the model cannot handle this input" in (tmp_path / "log").read_text()


def test_mlserver_folder_over_v2(tmp_path: Path) -> None:
    child, port = start_ours(MODELS / "mlserver", tmp_path / "log")
    try:
        c = Client(port)
        status, reply = c.post_json("/v2/models/echo-v2/infer", {"id": "7", "inputs": [
            {"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]})
        assert status == 200 and reply["id"] == "7"
        assert reply["outputs"][0]["data"] == [1.5, 2.5, 3.5]
        status, reply = c.post_json("/api/v1.0/predictions", {"data": {"ndarray": [1]}})
        assert reply["data"]["ndarray"] == [1.5]
        c.close()
    finally:
        assert stop(child) == 0


def test_sigterm_drains_in_flight_requests_then_exits_0(tmp_path: Path) -> None:
    log = tmp_path / "log"
    child, port = start_ours(MODELS / "slow", log,
                             env={"PREDICTIVE_UNIT_PARAMETERS":
                                  '[{"name": "delay", "value": "1.5", "type": "FLOAT"}]'})
    results: list[Any] = []
    started = threading.Event()

    def slow_request() -> None:
        c = Client(port)
        started.set()
        results.append(c.post_json("/predict", {"data": {"ndarray": [[7]]}}))
        c.close()

    worker = threading.Thread(target=slow_request)
    worker.start()
    started.wait()
    # Wait until the server holds the request (it logs nothing per request; poll the socket).
    _wait_for_connection(child.pid, port)
    child.send_signal(signal.SIGTERM)
    worker.join(timeout=60)
    assert child.wait(timeout=60) == 0, log.read_text()[-2000:]
    assert results and results[0][0] == 200 and results[0][1]["data"]["ndarray"] == [[7]]
    with pytest.raises(OSError):
        Client(port, timeout=2).request("GET", "/health/ping")


def _wait_for_connection(pid: int, port: int) -> None:
    import time

    import psutil

    for _ in range(200):
        conns = psutil.Process(pid).net_connections(kind="tcp")
        if any(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port for c in conns):
            time.sleep(0.2)  # the request line is parsed within microseconds of connecting
            return
        time.sleep(0.05)
    raise AssertionError("the slow request never reached the server")


def test_unloadable_folder_exits_1_with_reason(tmp_path: Path) -> None:
    (tmp_path / ".s2i").mkdir()
    (tmp_path / ".s2i" / "environment").write_text("MODEL_NAME=Missing\n")
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlpipe.serving", "--folder", str(tmp_path), "--port", "1"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=60,
        check=False)
    assert done.returncode == 1
    assert "cannot import Missing" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_client_predict_against_the_server(rich: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{rich}/api/v1.0/predictions"
    reply = client.predict(url, np.array([[1.0, 2.0, 3.0]]))
    assert reply["data"]["tensor"]["values"] == [6.0, 2.0, 3.0]
    from PIL import Image

    Image.fromarray(np.full((4, 4), 255, dtype=np.uint8)).save(tmp_path / "white.png")
    reply = client.predict(url, tmp_path / "white.png")
    assert reply["data"]["tensor"]["shape"] == [4, 3] and reply["data"]["tensor"]["values"][
        0] == 4.0
    np.save(tmp_path / "x.npy", np.ones((1, 5)))
    assert client.predict(url, str(tmp_path / "x.npy"))["data"]["tensor"]["values"][0] == 5.0
    assert client.predict(url, '{"strData": "inline"}')["strData"] == "INLINE"
    with pytest.raises(PredictError) as caught:
        client.predict(url, {"data": {"tensor": {"shape": [3], "values": [1]}}})
    assert caught.value.status == 400 and "do not fit shape" in str(caught.value)
    with pytest.raises(PredictError, match="cannot reach"):
        client.predict("http://127.0.0.1:1/api/v1.0/predictions", [1.0], timeout=2)
