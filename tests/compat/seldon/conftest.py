"""Serve the ported upstream models with our server and with Seldon's own microservice.

Every test takes ``impl`` (``ours`` or ``seldon``) and ``serve(unit)``: the same case runs, in
the same test run, against our server and against seldon-core 1.17.1's microservice (from the
cached venv of ``tests/integration/serving_harness.py``), so the port is proven faithful by the
reference passing it too. Servers are started on first use and kept (a few at a time) for the
cases that share their model and settings.
"""

from __future__ import annotations

import http.client
import json
import shutil
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen
from typing import Any
from urllib.parse import quote

import pytest

from tests.integration.serving_harness import (
    Unavailable,
    seldon_venv,
    start_ours,
    start_seldon,
    stop,
)

MODELS = Path(__file__).resolve().parent / "models"
IMPLEMENTATIONS = ("ours", "seldon")
_KEEP = 6  # servers kept running at once


@dataclass(frozen=True)
class Unit:
    """A model class with its constructor parameters and environment."""

    model: str
    params: tuple[tuple[str, str, str], ...] = ()  # (name, type, value)
    env: tuple[tuple[str, str], ...] = ()

    def environment(self) -> dict[str, str]:
        env = dict(self.env)
        if self.params:
            env["PREDICTIVE_UNIT_PARAMETERS"] = json.dumps(
                [{"name": n, "type": t, "value": v} for n, t, v in self.params])
        return env


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


class Server:
    """One running server and a tiny HTTP client for it."""

    def __init__(self, impl: str, child: Popen[bytes], port: int, folder: Path,
                 log: Path) -> None:
        self.impl, self.child, self.port, self.folder, self.log = impl, child, port, folder, log

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            reply = conn.getresponse()
            return Reply(reply.status, reply.read(),
                         {k.lower(): v for k, v in reply.getheaders()})
        finally:
            conn.close()

    def get(self, path: str, json_text: str | None = None) -> Reply:
        """GET ``path``, with ``?json=`` when given (URL-encoded, as a client library does)."""
        if json_text is not None:
            path = f"{path}?json={quote(json_text)}"
        return self.request("GET", path)

    def post_json(self, path: str, obj: Any) -> Reply:
        return self.request("POST", path, json.dumps(obj).encode(),
                            {"Content-Type": "application/json"})

    def post_multipart(self, path: str, fields: Mapping[str, str],
                       files: Mapping[str, tuple[str, bytes]]) -> Reply:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                         .encode() + value.encode() + b"\r\n")
        for name, (filename, data) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                         .encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body,
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def make_folder(root: Path, unit: Unit) -> Path:
    """A Seldon s2i folder holding the ported models, serving ``unit.model``."""
    folder = root / uuid.uuid4().hex[:12]
    shutil.copytree(MODELS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / ".s2i").mkdir()
    (folder / ".s2i" / "environment").write_text(
        f"MODEL_NAME={unit.model}\nSERVICE_TYPE=MODEL\nPERSISTENCE=0\n")
    return folder


def pillow_overlay(root: Path) -> Path:
    """This environment's Pillow, for Seldon's venv (upstream's test environment has it)."""
    import PIL

    overlay = root / "overlay"
    if not overlay.is_dir():
        overlay.mkdir()
        site = Path(PIL.__file__).resolve().parents[1]
        for entry in site.iterdir():
            if entry.name == "PIL" or entry.name.startswith("pillow"):
                (overlay / entry.name).symlink_to(entry)
    return overlay


def start(impl: str, unit: Unit, root: Path, wait: bool = True) -> Server:
    """Start ``unit`` on ``impl`` in a fresh folder under ``root``."""
    folder = make_folder(root, unit)
    log = folder.parent / f"{folder.name}-{impl}.log"
    if impl == "ours":
        child, port = start_ours(folder, log, env=unit.environment(), wait=wait)
    else:
        child, port = start_seldon(folder, unit.model, log, env=unit.environment(), wait=wait,
                                   pythonpath=pillow_overlay(root))
    return Server(impl, child, port, folder, log)


class Pool:
    """Servers by (implementation, unit), the least recently used stopped beyond ``_KEEP``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.running: OrderedDict[tuple[str, Unit], Server] = OrderedDict()

    def get(self, impl: str, unit: Unit) -> Server:
        key = (impl, unit)
        if key in self.running:
            self.running.move_to_end(key)
            return self.running[key]
        while len(self.running) >= _KEEP:
            stop(self.running.popitem(last=False)[1].child)
        server = start(impl, unit, self.root)
        self.running[key] = server
        return server

    def close(self) -> None:
        while self.running:
            stop(self.running.popitem()[1].child)


@pytest.fixture(scope="session")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    servers = Pool(tmp_path_factory.mktemp("seldon-compat"))
    yield servers
    servers.close()


@pytest.fixture(scope="session")
def _reference_venv() -> bool:
    try:
        seldon_venv()
        return True
    except Unavailable:
        return False


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest, _reference_venv: bool) -> str:
    if request.param == "seldon" and not _reference_venv:
        pytest.skip("Seldon's microservice cannot be installed (PyPI unreachable)")
    return str(request.param)


@pytest.fixture
def serve(pool: Pool, impl: str) -> Any:
    """``serve(unit)`` → the :class:`Server` of ``impl`` serving ``unit``."""
    return lambda unit: pool.get(impl, unit)
