"""Start and stop model servers for tests and benchmarks: ours, and Seldon's own microservice.

Seldon's Python microservice (seldon-core 1.17.1, the last Apache-2.0 release) lives in its own
virtual environment, created on first use and cached under ``~/.cache/mlpipe-test/`` keyed by
version (``MLPIPE_SELDON_VENV`` overrides the location).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from subprocess import Popen
from typing import Any

from jupyter_mlpipe import proc

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "tests" / "fixtures" / "models"
SELDON_VERSION = "1.17.1"
SELDON_REQUIREMENTS = [f"seldon-core=={SELDON_VERSION}", "setuptools<82"]


class Unavailable(Exception):
    """A prerequisite (PyPI for Seldon's venv) cannot be reached; callers skip."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_ping(port: int, child: Popen[bytes], log: Path, timeout: float = 90.0) -> None:
    """Wait until ``/health/ping`` answers; raise with the log tail if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"server exited with {child.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ping", timeout=1) as r:
                if r.read().strip() == b"pong":
                    return
        except OSError:
            pass
        time.sleep(0.1)
    stop(child)
    raise RuntimeError(f"server did not answer within {timeout}s:\n{log.read_text()[-3000:]}")


def start_ours(folder: Path, log: Path, *args: str, env: Mapping[str, str] | None = None,
               port: int | None = None, wait: bool = True) -> tuple[Popen[bytes], int]:
    """``python -m jupyter_mlpipe.serving`` on a free loopback port, waited until healthy.

    Without ``wait`` the process is returned as soon as it is started.
    """
    port = port or free_port()
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    argv = [sys.executable, "-m", "jupyter_mlpipe.serving", "--folder", str(folder),
            "--port", str(port), *args]
    child = proc.spawn(argv, cwd=folder, env=full_env, stdout_path=log)
    if wait:
        wait_for_ping(port, child, log)
    return child, port


def seldon_venv() -> Path:
    """The cached venv holding Seldon's microservice (created on first use).

    Raises:
        Unavailable: PyPI cannot be reached, so the venv cannot be made.
    """
    default = Path.home() / ".cache" / "mlpipe-test" / f"seldon-venv-{SELDON_VERSION}"
    venv = Path(os.environ.get("MLPIPE_SELDON_VENV", default))
    script = venv / "bin" / "seldon-core-microservice"
    if script.is_file() and (venv / ".complete").is_file():
        return venv
    if venv.exists():
        shutil.rmtree(venv)  # a half-made venv from an interrupted run
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    if made.returncode != 0:
        raise RuntimeError(f"cannot create a venv: {made.stdout[-2000:]}")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check", *SELDON_REQUIREMENTS]
    installed = _run(pip, timeout=900)
    if installed.returncode != 0:
        _raise_if_offline(installed.stdout)
        raise RuntimeError(f"pip install seldon-core failed:\n{installed.stdout[-3000:]}")
    (venv / ".complete").write_text(SELDON_VERSION)
    return venv


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, check=False)


def _raise_if_offline(output: str) -> None:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/seldon-core/", timeout=15):
            return
    except OSError as exc:
        raise Unavailable(f"PyPI is unreachable ({exc}); cannot install seldon-core") from None


def start_seldon(folder: Path, model: str, log: Path, workers: int = 1,
                 pythonpath: Path | None = None, env: Mapping[str, str] | None = None,
                 wait: bool = True) -> tuple[Popen[bytes], int]:
    """Seldon's ``seldon-core-microservice MODEL --service-type MODEL``, REST only.

    ``pythonpath`` adds a folder of extra packages (the model's dependencies); ``env`` adds
    variables (``PREDICTIVE_UNIT_PARAMETERS``, ``MODEL_METADATA`` ...). Without ``wait`` the
    process is returned as soon as it is started.
    """
    venv = seldon_venv()
    port, metrics_port = free_port(), free_port()
    argv = [str(venv / "bin" / "seldon-core-microservice"), model, "--service-type", "MODEL",
            "--http-port", str(port), "--metrics-port", str(metrics_port),
            "--grpc-workers", "0", "--workers", str(workers)]
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    full_env.update({"GRPC_WORKERS": "0", "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"})
    if pythonpath is not None:
        full_env["PYTHONPATH"] = str(pythonpath)
    full_env.update(env or {})
    child = proc.spawn(argv, cwd=folder, env=full_env, stdout_path=log)
    if wait:
        wait_for_ping(port, child, log)
    return child, port


def stop(child: Popen[bytes], grace: float = 15.0) -> int | None:
    """SIGTERM the server's process group, SIGKILL after ``grace``; return its exit status."""
    if child.poll() is None:
        proc.terminate_group(child.pid, grace)
    try:
        return child.wait(timeout=5)
    except Exception:
        return None


class Client:
    """A keep-alive HTTP/1.1 client for one server (not thread-safe: one per thread)."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.reconnects = 0  # connections the server closed under us (reliability counts them)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One exchange; reconnects once if the server closed the idle connection."""
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=dict(headers or {}))
                reply = self.conn.getresponse()
                data = reply.read()
                if reply.getheader("connection", "").lower() == "close":
                    self.conn.close()
                return reply.status, {k.lower(): v for k, v in reply.getheaders()}, data
            except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
                self.reconnects += 1
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def post_json(self, path: str, obj: Any) -> tuple[int, Any]:
        status, _, data = self.request("POST", path, json.dumps(obj).encode(),
                                       {"Content-Type": "application/json"})
        return status, json.loads(data)

    def close(self) -> None:
        self.conn.close()
