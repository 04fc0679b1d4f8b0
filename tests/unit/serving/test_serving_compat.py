"""The seldon_core shim, request decoding (multipart, forms), metadata and accept-error logging."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.errors import DeployError, PredictError
from jupyter_mlpipe.serving.app import AcceptErrorLog, ModelApp
from jupyter_mlpipe.serving.http import Request
from jupyter_mlpipe.serving.loader import inspect_folder, load_model
from jupyter_mlpipe.serving.messages import decode_message
from jupyter_mlpipe.serving.metadata import from_environment, model_metadata
from jupyter_mlpipe.serving.model import ServedModel
from tests.unit.serving.serving_asgi import call

SHIM_MODEL = """
from seldon_core.flask_utils import SeldonMicroserviceException
from seldon_core.metrics import SeldonResponse, create_gauge
from seldon_core.user_model import SeldonComponent
import seldon_core


class ShimModel(SeldonComponent):
    def predict(self, X, names, meta=None):
        if X.size == 0:
            raise SeldonMicroserviceException("no rows", status_code=422, reason="EMPTY")
        return SeldonResponse(X * 2, tags={"which": getattr(seldon_core, "SHIM", False)},
                              metrics=[create_gauge("rows", len(X))])
"""


@pytest.fixture
def no_seldon_core() -> Any:
    """No seldon_core module loaded before or after (the shim lives inside the package)."""
    def clear() -> None:
        for name in [n for n in sys.modules if n.split(".")[0] == "seldon_core"]:
            del sys.modules[name]

    clear()
    yield
    clear()


def write_model(folder: Path, source: str, name: str = "ShimModel") -> Path:
    (folder / ".s2i").mkdir(parents=True)
    (folder / ".s2i" / "environment").write_text(f"MODEL_NAME={name}\nSERVICE_TYPE=MODEL\n")
    (folder / f"{name}.py").write_text(source)
    return folder


def served(folder: Path) -> ModelApp:
    spec = inspect_folder(folder, environ={})
    return ModelApp(ServedModel(load_model(spec), spec.model_name, environ={}))


@pytest.mark.usefixtures("restore_process_state", "no_seldon_core")
def test_the_shim_serves_seldon_models_and_only_inside_the_server(tmp_path: Path) -> None:
    assert importlib.util.find_spec("seldon_core") is None  # not importable from outside
    app = served(write_model(tmp_path / "m", SHIM_MODEL))
    status, _, body = call(app, "POST", "/predict",
                           json.dumps({"data": {"ndarray": [[1, 2]]}}).encode())
    reply = json.loads(body)
    assert status == 200 and reply["data"]["ndarray"] == [[2, 4]]
    assert reply["meta"]["tags"] == {"which": True}  # the shim, as no real one is installed
    assert reply["meta"]["metrics"] == [{"key": "rows", "type": "GAUGE", "value": 1}]
    status, _, body = call(app, "POST", "/predict",
                           json.dumps({"data": {"ndarray": []}}).encode())
    assert status == 422
    assert json.loads(body) == {"status": {"status": 1, "info": "no rows", "code": -1,
                                           "reason": "EMPTY"}}
    app.close()


@pytest.mark.usefixtures("restore_process_state", "no_seldon_core")
def test_a_real_seldon_core_wins_over_the_shim(tmp_path: Path) -> None:
    real = tmp_path / "site" / "seldon_core"
    real.mkdir(parents=True)
    (real / "__init__.py").write_text("SHIM = 'real'\n")
    (real / "user_model.py").write_text("class SeldonComponent:\n    pass\n")
    sys.path.insert(0, str(tmp_path / "site"))
    source = ("import seldon_core\nfrom seldon_core.user_model import SeldonComponent\n\n"
              "class ShimModel(SeldonComponent):\n    def predict(self, X, names):\n"
              "        return seldon_core.SHIM\n")
    app = served(write_model(tmp_path / "m", source))
    status, _, body = call(app, "POST", "/predict", b'{"strData": "x"}')
    assert status == 200 and json.loads(body)["strData"] == "real"


@pytest.mark.usefixtures("restore_process_state")
def test_a_model_importing_missing_flask_names_the_fix(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "flask", None)  # as if Flask were not installed
    folder = write_model(tmp_path / "m", "import flask\n\nclass ShimModel:\n    pass\n")
    with pytest.raises(DeployError, match="add flask to the folder's requirements.txt"):
        load_model(inspect_folder(folder, environ={}))


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[str, bytes]:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename
                                                     else "")
        body += f"--XB\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return "multipart/form-data; boundary=XB", body + b"--XB--\r\n"


def test_multipart_messages_as_seldon_reads_them() -> None:
    ctype, body = _multipart([("meta", None, b'{"puid": "7"}'), ("strData", None, b"plain"),
                              ("binData", "a.bin", b"\x00\xff")])
    message = decode_message(Request("POST", "/predict", b"", ctype, body))
    assert message == {"meta": {"puid": "7"}, "strData": "plain",
                       "binData": base64.b64encode(b"\x00\xff").decode()}
    ctype, body = _multipart([("strData", "t.txt", "é\n".encode())])
    assert decode_message(Request("POST", "/predict", b"", ctype, body)) == {"strData": "é\n"}


@pytest.mark.parametrize("parts, body, expected", [
    (None, b"not multipart at all", "malformed"),
    ([("data", None, b"{not json")], None, "invalid JSON"),
    ([("strData", "t.bin", b"\xff\xfe")], None, "not UTF-8"),
    ([], None, "no parts"),
])
def test_bad_multipart_is_a_400(parts: Any, body: bytes | None, expected: str) -> None:
    ctype = "multipart/form-data; boundary=XB"
    if parts is not None:
        ctype, body = _multipart(parts)
    with pytest.raises(PredictError, match=expected) as caught:
        decode_message(Request("POST", "/predict", b"", ctype, body or b""))
    assert caught.value.status == 400


def test_deeply_nested_json_is_a_400() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(PredictError) as caught:
        decode_message(Request("POST", "/predict", b"", "application/json", body))
    assert caught.value.status == 400


def test_model_metadata_from_the_environment(caplog: pytest.LogCaptureFixture) -> None:
    assert from_environment("name: from-yaml\nplatform: p") == {"name": "from-yaml",
                                                                "platform": "p"}
    with caplog.at_level(logging.ERROR):
        assert from_environment("{unclosed: [") == {}
    assert "not valid JSON or YAML" in caplog.text
    assert model_metadata({}, {"MODEL_METADATA": "[1, 2]"}, None) is None  # not a mapping
    assert model_metadata({"custom": {"k": 1}}, {}, None) is None  # custom values are strings
    meta = model_metadata({"name": "user"}, {"MODEL_METADATA": '{"name": "env"}'}, "img:2")
    assert meta is not None and meta["name"] == "env" and meta["versions"] == ["2"]


def test_accept_failures_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    handler = AcceptErrorLog(quiet=60.0)
    loop = asyncio.new_event_loop()
    seen: list[dict[str, Any]] = []
    loop.default_exception_handler = seen.append  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.ERROR, logger="jupyter_mlpipe.serving"):
            for _ in range(500):
                handler(loop, {"message": "socket.accept() out of system resource",
                               "exception": OSError(24, "Too many open files")})
            handler(loop, {"message": "Exception in callback", "handle":
                           "<TimerHandle BaseSelectorEventLoop._start_serving(...)>"})
            handler(loop, {"message": "something else"})
    finally:
        loop.close()
    assert caplog.text.count("cannot accept connections") == 1
    assert "Too many open files" in caplog.text
    assert seen == [{"message": "something else"}]
