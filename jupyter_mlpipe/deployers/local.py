"""Serve a packaged model as a detached local process (``python -m jupyter_mlpipe.serving``).

The server runs in its own session, so it outlives the kernel or CLI that started it; the
deployment record on the outputs volume (``<root>/<user>/_deployments/<name>.json``) holds its
URL, pid and process start time, so any later process can report its health and stop it. A
record whose process is gone (machine rebooted, killed) is reported ``stale`` and removed by
``undeploy``. The server's log is ``_deployments/<name>.log`` beside the record.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from subprocess import Popen
from typing import Any

from .. import proc
from ..errors import Conflict, DeployError, NotFound, StoreError
from ..settings import Settings
from ..store import DeploymentStore, validate_name
from .base import HEALTHY, STALE, STARTING, UNHEALTHY, Deployer, DeploySpec

PREDICTIONS_PATH = "/api/v1.0/predictions"
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
# Popen objects of servers this process started, so they can be reaped when stopped (a Popen
# dropped while its child runs warns, and an unreaped child lingers as a zombie). A cache of
# our own children only: the deployment record stays the source of truth.
_CHILDREN: dict[int, Popen[bytes]] = {}


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ping(url: str, timeout: float = 2.0) -> tuple[bool, str]:
    """GET ``url``/health/ping; (answered pong, detail)."""
    try:
        with urllib.request.urlopen(url + "/health/ping", timeout=timeout) as reply:
            body = reply.read(64)
        return body.strip() == b"pong", f"/health/ping answered {body[:32]!r}"
    except urllib.error.HTTPError as exc:
        return False, f"/health/ping answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"no answer from {url} ({getattr(exc, 'reason', exc)})"


def log_tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16384))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class LocalDeployer(Deployer):
    """Model servers as local processes.

    Args:
        settings: the settings in force (outputs root and user locate the records;
            ``stop_grace`` bounds the drain on undeploy).
        host: the address servers bind (loopback keeps them private to the machine).
        start_timeout: seconds to wait for a new server's ``/health/ping``.
    """

    name = "local"

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1",
                 start_timeout: float = 120.0) -> None:
        self.settings = settings
        self.host = host
        self.start_timeout = start_timeout
        self.store = DeploymentStore(settings.outputs_root, settings.user)

    def _argv(self, spec: DeploySpec, folder: str, port: int | str) -> list[str]:
        argv = [sys.executable, "-m", "jupyter_mlpipe.serving", "--folder", folder,
                "--host", self.host, "--port", str(port), "--name", spec.name,
                "--grace", str(self.settings.stop_grace)]
        if spec.image:
            argv += ["--image", spec.image]
        return argv

    def _folder(self, spec: DeploySpec) -> str:
        from ..serving.loader import inspect_folder

        if not spec.folder:
            raise DeployError(f"deployment {spec.name!r}: local serving needs the package "
                              "folder — package the model first (`mlpipe package`)")
        return str(inspect_folder(spec.folder).folder)  # fails early on a broken folder

    def render(self, spec: DeploySpec) -> list[dict[str, Any]]:
        """The process :meth:`deploy` would start (port ``auto`` when none is given)."""
        validate_name(spec.name, "deployment")
        folder = self._folder(spec)
        port: int | str = spec.port or "auto"
        return [{"kind": "LocalProcess", "name": spec.name, "argv": self._argv(spec, folder, port),
                 "cwd": folder, "url": f"http://{self.host}:{port}",
                 "log": str(self.store.path / f"{spec.name}.log")}]

    def deploy(self, spec: DeploySpec) -> dict[str, Any]:
        """Start the server, wait until it answers, record it; see :class:`Deployer`."""
        validate_name(spec.name, "deployment")
        folder = self._folder(spec)
        self._clear_previous(spec.name)
        port = spec.port or free_port(self.host)
        url = f"http://{self.host}:{port}"
        log = self.store.path / f"{spec.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (env.get("PYTHONPATH", ""), _PACKAGE_PARENT) if p)
        child = proc.spawn(self._argv(spec, folder, port), cwd=folder, env=env,
                           stdout_path=log, detached=True)
        _CHILDREN[child.pid] = child
        record = {
            "name": spec.name, "backend": self.name, "url": url, "endpoint": url + PREDICTIONS_PATH,
            "host": self.host, "port": port, "pid": child.pid,
            "create_time": proc.process_create_time(child.pid), "folder": folder,
            "image": spec.image, "replicas": 1, "lineage": dict(spec.lineage),
            "created": time.time(), "log": str(log),
        }
        # Recorded before the wait, so a caller dying meanwhile leaves no unrecorded server.
        self.store.save(record)
        self._wait_healthy(spec.name, child, url, log)
        return record

    def _clear_previous(self, name: str) -> None:
        try:
            previous = self.store.get(name)
        except (NotFound, StoreError):  # none, or an unreadable one a redeploy replaces
            return
        if proc.pid_alive(previous.get("pid"), previous.get("create_time")):
            raise Conflict(f"deployment {name!r} already runs at {previous.get('url')} — "
                              f"`mlpipe undeploy {name}` first, or pick another name")
        self.store.remove(name)

    def _wait_healthy(self, name: str, child: Popen[bytes], url: str, log: Path) -> None:
        deadline = time.monotonic() + self.start_timeout
        detail = ""
        while time.monotonic() < deadline:
            code = child.poll()
            if code is not None:
                _CHILDREN.pop(child.pid, None)
                self.store.remove(name)
                raise DeployError(f"the model server for {name!r} exited with status {code} "
                                  f"before answering — its log ({log}) ends with:\n"
                                  f"{log_tail(log)}")
            ok, detail = ping(url, timeout=1.0)
            if ok:
                return
            time.sleep(0.1)
        self._stop(child.pid, None)
        self.store.remove(name)
        raise DeployError(f"the model server for {name!r} did not answer within "
                          f"{self.start_timeout:g}s ({detail}) and was stopped — its log "
                          f"({log}) ends with:\n{log_tail(log)}")

    def status(self, name: str) -> dict[str, Any]:
        """The record with live ``health`` (healthy, unhealthy, stale) and ``detail``."""
        record = self.store.get(name)
        if not proc.pid_alive(record.get("pid"), record.get("create_time")):
            return {**record, "health": STALE,
                    "detail": f"process {record.get('pid')} is gone — `mlpipe undeploy {name}` "
                              "removes the record"}
        ok, detail = ping(str(record["url"]))
        health = HEALTHY if ok else UNHEALTHY
        if not ok and time.time() - float(record.get("created") or 0) < self.start_timeout:
            health = STARTING
        return {**record, "health": health, "detail": detail}

    def list(self) -> list[dict[str, Any]]:
        """Every local deployment with live health."""
        return [self.status(r["name"]) for r in self.store.list()
                if r.get("backend", self.name) == self.name]

    def endpoint(self, name: str) -> str:
        """The Seldon prediction URL of ``name``."""
        record = self.store.get(name)
        return str(record.get("endpoint") or str(record["url"]) + PREDICTIONS_PATH)

    def undeploy(self, name: str) -> None:
        """Drain and stop the server (SIGTERM, then SIGKILL after ``stop_grace``); forget it."""
        record = self.store.get(name)
        self._stop(record.get("pid"), record.get("create_time"))
        self.store.remove(name)

    def _stop(self, pid: int | None, create_time: float | None) -> None:
        if pid and proc.pid_alive(pid, create_time):
            # The drain itself takes up to stop_grace inside the server; allow a little more
            # before the group is killed.
            proc.terminate_group(int(pid), float(self.settings.stop_grace) + 2.0)
        child = _CHILDREN.pop(int(pid), None) if pid else None
        if child is not None:
            child.wait(timeout=5.0)  # returns at once if terminate_group reaped it already
