"""The model server under slow, idle and oversized traffic (hardening, items 8, 9 and 12).

* 600 connections dribbling headers or bodies: health checks keep answering, and the server
  closes every dribbler after its read deadline.
* Out of file descriptors: accept failures are logged once, not per attempt, and the server
  recovers once the idle connections are closed.
* A 31 MB request is parsed off the event loop: health checks are answered while it is.
* ``meta.requestPath`` never carries the folder's absolute path.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jupyter_mlpipe import proc
from jupyter_mlpipe.serving.app import OFFLOAD_BODY, ModelApp
from jupyter_mlpipe.serving.loader import inspect_folder, load_model
from jupyter_mlpipe.serving.model import ServedModel
from tests.integration.serving_harness import (
    MODELS,
    REPO,
    Client,
    free_port,
    start_ours,
    stop,
    wait_for_ping,
)
from tests.unit.serving.conftest import restore_process_state  # noqa: F401 (a fixture)
from tests.unit.serving.serving_asgi import call

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUM_MODEL = """
import numpy as np


class SumModel:
    def predict(self, X, names):
        return [[float(np.sum(X))]]
"""


def ping(port: int) -> float:
    """Seconds one fresh-connection ``/health/ping`` took (raises if it fails)."""
    started = time.perf_counter()
    client = Client(port, timeout=10)
    try:
        status, _, body = client.request("GET", "/health/ping")
    finally:
        client.close()
    assert (status, body) == (200, b"pong")
    return time.perf_counter() - started


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (EOF, possibly after a 408 answer) within 60 s."""
    sock.settimeout(60)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


@pytest.fixture
def echo_server(tmp_path: Path) -> Iterator[int]:
    child, port = start_ours(MODELS / "echo", tmp_path / "server.log", "--header-timeout", "2",
                             "--body-timeout", "2", "--max-connections", "2000")
    yield port
    assert stop(child) == 0


def test_dribbling_connections_are_closed_and_health_stays_up(echo_server: int) -> None:
    port = echo_server
    dribblers: list[socket.socket] = []
    try:
        for n in range(600):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            if n % 2:  # headers that never end
                sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            else:  # a body that never completes
                sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nContent-Length: 100000\r\n\r\n{\"data\":")
            dribblers.append(sock)
        latencies = [ping(port) for _ in range(20)]  # each answers (within its 10 s timeout)
        assert len(latencies) == 20
        for sock in dribblers[:300]:  # still dribbling does not reset the deadline
            try:
                sock.sendall(b"x")
            except OSError:
                pass
        assert all(closed_by_server(sock) for sock in dribblers)
        ping(port)
    finally:
        for sock in dribblers:
            sock.close()


def test_oversized_headers_are_refused(echo_server: int) -> None:
    answer = b""
    with socket.create_connection(("127.0.0.1", echo_server), timeout=30) as sock:
        sock.sendall(b"GET /health/ping HTTP/1.1\r\nHost: x\r\n")
        for _ in range(13):  # up to 104 KB of headers, 8 KB at a time
            sock.sendall(b"X-Big: " + b"a" * 8000 + b"\r\n")
            # Read the answer as soon as there is one (sending on after the server closed
            # would make it reset the connection, dropping the answer).
            if select.select([sock], [], [], 0.05)[0]:
                break
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"over 65536 bytes" in answer
    ping(echo_server)


def test_out_of_descriptors_logs_once_and_recovers(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    # The server under a 64-file limit (a shell's `ulimit -n 64`), started through Python.
    argv = [sys.executable, "-c",
            "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)); "
            "sys.argv[0] = 'jupyter_mlpipe.serving'; "
            "runpy.run_module('jupyter_mlpipe.serving', run_name='__main__')",
            "--folder", str(MODELS / "echo"), "--port", str(port), "--header-timeout", "2"]
    child = proc.spawn(argv, cwd=MODELS / "echo", env={"PYTHONPATH": str(REPO),
                                                       "PATH": "/usr/bin:/bin"},
                       stdout_path=log)
    idle: list[socket.socket] = []
    try:
        wait_for_ping(port, child, log)
        for _ in range(120):  # more than the server can hold
            try:
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                break
        time.sleep(4)  # accept is retried every second meanwhile
        deadline = time.monotonic() + 60
        while True:  # the idle connections are closed after 2 s: the server accepts again
            try:
                ping(port)
                break
            except (OSError, AssertionError):
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
    finally:
        for sock in idle:
            sock.close()
        stop(child)
    text = log.read_text()
    assert text.count("cannot accept connections") == 1, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


def test_a_large_body_is_parsed_off_the_event_loop(tmp_path: Path) -> None:
    folder = tmp_path / "sum"
    (folder / ".s2i").mkdir(parents=True)
    (folder / ".s2i" / "environment").write_text("MODEL_NAME=SumModel\nSERVICE_TYPE=MODEL\n")
    (folder / "SumModel.py").write_text(SUM_MODEL)
    values = np.random.default_rng(0).random(1_950_000).round(12).tolist()
    body = json.dumps({"data": {"tensor": {"shape": [len(values)], "values": values}}}).encode()
    assert 30e6 < len(body) < 32 * 1024 * 1024
    child, port = start_ours(folder, tmp_path / "server.log")
    done = threading.Event()
    answered: list[int] = []

    def big_request() -> None:
        client = Client(port, timeout=120)
        try:
            status, _, reply = client.request("POST", "/api/v1.0/predictions", body,
                                              {"Content-Type": "application/json"})
            answered.append(status)
        finally:
            client.close()
            done.set()

    try:
        thread = threading.Thread(target=big_request)
        thread.start()
        latencies = []
        started = time.perf_counter()
        while not done.is_set():
            latencies.append(ping(port))
            time.sleep(0.01)
        thread.join()
        took = time.perf_counter() - started
        assert answered == [200]
        # Relative, not absolute: decoding 31 MB on the loop stalls pings for a large part of
        # the request (measured: 0.35 s of 2.5 s); off the loop, for a few milliseconds.
        assert len(latencies) >= 5 and max(latencies) < 0.1 * took, (took, sorted(latencies))
    finally:
        code = stop(child)
    assert code == 0, (tmp_path / "server.log").read_text()[-3000:]  # helper included


def test_request_path_never_shows_the_folder(tmp_path: Path) -> None:
    child, port = start_ours(MODELS / "echo", tmp_path / "server.log",
                             env={"PREDICTIVE_UNIT_ID": "echo"})
    client = Client(port)
    try:
        status, reply = client.post_json("/predict", {"data": {"ndarray": [1.0]}})
    finally:
        client.close()
        stop(child)
    assert status == 200
    assert reply["meta"]["requestPath"] == {"echo": "NOT_IMPLEMENTED:NOT_IMPLEMENTED"}
    assert str(MODELS) not in json.dumps(reply)


def _app(folder: Path) -> ModelApp:
    spec = inspect_folder(folder, environ={})
    return ModelApp(ServedModel(load_model(spec), spec.model_name, environ={}))


@pytest.mark.usefixtures("restore_process_state")
def test_bodies_decoded_by_the_helper_follow_every_rule() -> None:
    app = _app(MODELS / "echo")
    try:
        rows = np.arange(40_000, dtype=float).reshape(2, -1)
        body = json.dumps({"data": {"ndarray": rows.tolist()}}).encode()
        assert len(body) > OFFLOAD_BODY
        status, _, reply = call(app, "POST", "/predict", body)
        assert status == 200 and json.loads(reply)["data"]["ndarray"] == rows.tolist()
        status, _, reply = call(app, "POST", "/predict", body[:-1])  # truncated JSON
        assert status == 400 and "invalid JSON" in json.loads(reply)["status"]["info"]
        ragged = json.dumps({"data": {"ndarray": [[1.0] * 40_000, [1.0]]}}).encode()
        status, _, reply = call(app, "POST", "/predict", ragged)
        assert status == 400 and "same length" in json.loads(reply)["status"]["info"]
    finally:
        app.close()
