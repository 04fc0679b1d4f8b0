"""The ASGI app driven in-process: routes, payload forms, errors, limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jupyter_mlpipe.serving.app import ModelApp
from jupyter_mlpipe.serving.loader import inspect_folder, load_model
from jupyter_mlpipe.serving.model import ServedModel
from tests.unit.serving.serving_asgi import call

pytestmark = pytest.mark.usefixtures("restore_process_state")


def make_app(models_dir: Path, folder: str, **kwargs: Any) -> ModelApp:
    spec = inspect_folder(models_dir / folder, environ={})
    served = ServedModel(load_model(spec), spec.model_name, {spec.class_name: "img:1"})
    return ModelApp(served, **kwargs)


def post(app: ModelApp, path: str, obj: Any, **kwargs: Any) -> tuple[int, Any]:
    status, _, body = call(app, "POST", path, json.dumps(obj).encode(), **kwargs)
    return status, json.loads(body)


@pytest.fixture
def rich(models_dir: Path) -> ModelApp:
    return make_app(models_dir, "rich", deployment="mnist", max_body=4096)


@pytest.mark.parametrize("path", [
    "/predict", "/api/v1.0/predictions", "/api/v0.1/predictions",
    "/seldon/mnist/api/v0.1/predictions", "/seldon/default/mnist/api/v1.0/predictions",
])
def test_prediction_paths(rich: ModelApp, path: str) -> None:
    status, reply = post(rich, path, {"data": {"tensor": {"shape": [1, 3], "values": [1, 2, 3]}},
                                      "meta": {"puid": "p-1", "tags": {"t": "v"}}})
    assert status == 200
    assert reply["data"]["tensor"] == {"shape": [1, 3], "values": [6.0, 2.0, 3.0]}
    assert reply["data"]["names"] == ["sum", "mean", "max"]
    assert reply["meta"]["puid"] == "p-1"
    assert reply["meta"]["tags"] == {"t": "v", "model": "rich", "loaded": True}
    assert reply["meta"]["requestPath"] == {"RichModel": "img:1"}
    assert reply["meta"]["metrics"] == [{"type": "COUNTER", "key": "rich_requests", "value": 1}]


def test_ingress_path_for_another_deployment_is_404(rich: ModelApp) -> None:
    status, reply = post(rich, "/seldon/other/api/v0.1/predictions", {"strData": "x"})
    assert status == 404 and "serves 'mnist'" in reply["status"]["info"]


def test_payload_forms(rich: ModelApp) -> None:
    assert post(rich, "/predict", {"data": {"ndarray": [[1, 2, 3]]}})[1]["data"]["ndarray"] == [
        [6.0, 2.0, 3.0]]
    assert post(rich, "/predict", {"strData": "abc"})[1]["strData"] == "ABC"
    assert post(rich, "/predict", {"binData": "YWJj"})[1]["binData"] == "Y2Jh"
    reply = post(rich, "/predict", {"jsonData": {"k": 1}})[1]
    assert reply["jsonData"] == {"echo": {"k": 1}, "names": [], "meta_seen": False}


def test_form_and_query_json(rich: ModelApp) -> None:
    status, _, body = call(rich, "POST", "/api/v1.0/predictions",
                           b"json=%7B%22strData%22%3A%22q%22%7D",
                           content_type="application/x-www-form-urlencoded")
    assert status == 200 and json.loads(body)["strData"] == "Q"
    status, _, body = call(rich, "GET", "/predict", query=b"json=%7B%22strData%22%3A%22g%22%7D",
                           content_type=None)
    assert status == 200 and json.loads(body)["strData"] == "G"


def test_puid_made_up_only_on_ingress_paths(rich: ModelApp) -> None:
    path = "/seldon/default/mnist/api/v1.0/predictions"
    first = post(rich, path, {"strData": "a"})[1]["meta"]["puid"]
    second = post(rich, path, {"strData": "a"})[1]["meta"]["puid"]
    assert len(first) == 26 and first != second
    # Seldon's microservice echoes a puid but never makes one (its executor does).
    assert "puid" not in post(rich, "/predict", {"strData": "a"})[1]["meta"]


def test_health_metadata_feedback(rich: ModelApp) -> None:
    status, headers, body = call(rich, "GET", "/health/ping")
    assert (status, body) == (200, b"pong")
    status, _, body = call(rich, "GET", "/health/status")
    assert status == 200 and json.loads(body)["jsonData"] == {"loaded": True}
    status, _, body = call(rich, "GET", "/metadata")
    assert json.loads(body)["versions"] == ["v1"]
    status, reply = post(rich, "/api/v1.0/feedback", {"request": {"data": {"ndarray": [[1]]}},
                                                      "reward": 0.5})
    assert status == 200 and reply["data"]["ndarray"] == [[1.0, 0.5]]
    status, reply = post(rich, "/api/v1.0/feedback", {"reward": "high"})
    assert status == 400 and "reward must be a number" in reply["status"]["info"]


def test_v2_routes(rich: ModelApp) -> None:
    for path, expected in [("/v2/health/live", {"live": True}),
                           ("/v2/health/ready", {"ready": True}),
                           ("/v2/models/RichModel/ready", {"name": "RichModel", "ready": True})]:
        status, _, body = call(rich, "GET", path)
        assert status == 200 and json.loads(body) == expected
    status, _, body = call(rich, "GET", "/v2/models/RichModel")
    assert json.loads(body)["name"] == "RichModel"
    request = {"id": "1", "inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64",
                                      "data": [1, 2, 3]}]}
    for path in ("/v2/models/RichModel/infer", "/v2/models/RichModel/versions/1/infer"):
        status, reply = post(rich, path, request)
        assert status == 200
        assert reply["outputs"][0]["data"] == [6.0, 2.0, 3.0]
        assert reply["outputs"][0]["shape"] == [1, 3] and reply["id"] == "1"
    status, reply = post(rich, "/v2/models/other/infer", request)
    assert status == 404 and "not found" in reply["error"]
    status, reply = post(rich, "/v2/models/RichModel/infer", {"inputs": []})
    assert status == 400 and set(reply) == {"error"}


@pytest.mark.parametrize("method, path, body, ctype, status", [
    ("POST", "/predict", b"{not json", "application/json", 400),
    ("POST", "/predict", b"", "application/json", 400),
    ("POST", "/predict", b"\xff\xfe", "application/json", 400),
    ("POST", "/predict", b'{"data": 1}', "text/plain", 415),
    ("POST", "/predict", b"x=1", "application/x-www-form-urlencoded", 400),
    ("POST", "/predict", b'{"nothing": 1}', "application/json", 400),
    ("GET", "/nowhere", b"", None, 404),
    ("DELETE", "/predict", b"", None, 405),
    ("GET", "/api/v1.0/predictions", b"", None, 405),
    ("POST", "/health/ping", b"", None, 405),
    ("POST", "/v2/models/RichModel/infer", b"[", "application/json", 400),
    ("POST", "/v2/models/RichModel/infer", b"{}", "text/csv", 415),
    ("GET", "/v2/models/RichModel/unknown", b"", None, 404),
])
def test_malformed_requests_get_json_errors(rich: ModelApp, method: str, path: str,
                                            body: bytes, ctype: str | None, status: int) -> None:
    got, headers, payload = call(rich, method, path, body, content_type=ctype)
    assert got == status
    assert headers[b"content-type"] == b"application/json"
    reply = json.loads(payload)
    if path.startswith("/v2"):
        assert set(reply) == {"error"}
    else:
        assert reply["status"]["code"] == -1 and reply["status"]["status"] == 1
        assert "Traceback" not in reply["status"]["info"]
    if status == 405:
        assert b"allow" in headers


def test_body_limit_declared_and_streamed(rich: ModelApp) -> None:
    big = json.dumps({"strData": "x" * 5000}).encode()
    status, _, body = call(rich, "POST", "/predict", big,
                           headers=[(b"content-length", str(len(big)).encode())])
    assert status == 413 and "over the limit" in json.loads(body)["status"]["info"]
    status, _, body = call(rich, "POST", "/predict", big, chunks=4)
    assert status == 413
    ok = json.dumps({"strData": "y" * 1000}).encode()
    assert call(rich, "POST", "/predict", ok, chunks=3)[0] == 200


def test_model_failure_is_500_json(models_dir: Path) -> None:
    app = make_app(models_dir, "failing")
    status, reply = post(app, "/predict", {"data": {"ndarray": [[1]]}})
    assert status == 500
    assert reply["status"]["reason"] == "MICROSERVICE_INTERNAL_ERROR"
    assert reply["status"]["info"] == "the model cannot handle this input"
    status, reply = post(app, "/v2/models/FailingModel/infer",
                         {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32",
                                      "data": [1]}]})
    assert status == 500 and reply == {"error": "the model cannot handle this input"}


def test_predict_raw(models_dir: Path) -> None:
    app = make_app(models_dir, "raw")
    status, reply = post(app, "/predict", {"anything": 1, "goes": 2})
    assert status == 200
    assert reply == {"jsonData": {"keys": ["anything", "goes"]}, "meta": {"tags": {"raw": True}}}


@pytest.mark.parametrize("offload", ["never", "always", "auto"])
def test_offload_modes_answer_the_same(models_dir: Path, offload: str) -> None:
    app = make_app(models_dir, "linear", offload=offload)
    x = np.linspace(0, 1, 784).tolist()
    status, reply = post(app, "/predict", {"data": {"tensor": {"shape": [1, 784], "values": x}}})
    assert status == 200
    values = reply["data"]["tensor"]["values"]
    assert len(values) == 10 and abs(sum(values) - 1.0) < 1e-9
    app.close()


class SeldonResponse:
    """Shaped like Seldon's: data plus runtime tags and metrics."""

    def __init__(self, data: Any, tags: dict[str, Any], metrics: list[dict[str, Any]]) -> None:
        self.data, self.tags, self.metrics = data, tags, metrics


class RuntimeTagged:
    def predict(self, X: Any, names: Any) -> SeldonResponse:
        return SeldonResponse(np.asarray(X) + 1, {"runtime": "yes"},
                              [{"key": "latency", "type": "TIMER", "value": 1.5}])


def test_seldon_response_carries_runtime_tags_and_metrics() -> None:
    app = ModelApp(ServedModel(RuntimeTagged(), "m"))
    status, reply = post(app, "/predict", {"data": {"ndarray": [[1, 2]]}})
    assert status == 200
    assert reply["data"] == {"ndarray": [[2, 3]], "names": ["t:0", "t:1"]}
    assert reply["meta"]["tags"] == {"runtime": "yes"}
    assert reply["meta"]["metrics"] == [{"key": "latency", "type": "TIMER", "value": 1.5}]


class Unserialisable:
    def predict(self, X: Any, names: Any) -> Any:
        return [object()]


def test_an_answer_without_json_form_is_a_500() -> None:
    status, reply = post(ModelApp(ServedModel(Unserialisable(), "m")), "/predict",
                         {"data": {"ndarray": [1]}})
    assert status == 500 and "cannot be written as JSON" in reply["status"]["info"]



class Overlap:
    """Records whether two predict calls ever overlap."""

    def __init__(self, delays: list[float]) -> None:
        self.active = 0
        self.overlapped = False
        self.delays = delays

    def predict(self, X: Any, names: Any) -> Any:
        import time

        self.active += 1
        self.overlapped |= self.active > 1
        time.sleep(self.delays.pop(0) if self.delays else 0.0)
        self.active -= 1
        return X


def test_a_call_arriving_as_calls_move_back_inline_waits_for_the_thread() -> None:
    import asyncio

    model = Overlap([0.3, 0.0])
    # "always" keeps the measurement from flipping the mode; the test flips it by hand.
    app = ModelApp(ServedModel(model, "m"), offload="always")
    body = json.dumps({"data": {"ndarray": [1]}}).encode()

    async def one() -> int:
        sent: list[dict[str, Any]] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/predict", "query_string": b"",
                 "headers": [(b"content-type", b"application/json")]}
        await app(scope, receive, send)
        return int(sent[0]["status"])

    async def scenario() -> list[int]:
        first = asyncio.create_task(one())  # runs on the model thread for 0.3 s
        while not model.active:
            await asyncio.sleep(0.005)
        app._threaded = False  # as when the smoothed model time has just dropped
        second = await one()
        return [await first, second]

    statuses = asyncio.run(scenario())
    app.close()
    assert statuses == [200, 200]
    assert not model.overlapped
