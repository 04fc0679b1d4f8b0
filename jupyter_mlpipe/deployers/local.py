"""Serve a packaged model as a detached local process (``python -m jupyter_mlpipe.serving``).

The server runs in its own session, so it outlives the kernel or CLI that started it; the
deployment record on the outputs volume (``<root>/<user>/_deployments/<name>.json``) holds its
URL, pid and process start time, so any later process can report its health and stop it. A
record whose process is gone (machine rebooted, killed) is reported ``stale`` and removed by
``undeploy``. The server's log is ``_deployments/<name>.log`` beside the record.

A record is only trusted as far as the process it names can be verified: before any signal the
pid must lead its own process group, have the recorded start time, and run this package's model
server for the recorded folder and name. A record without a start time, or whose pid now runs
anything else, is never signalled (``undeploy`` removes it and says why).

With an image, the server is told its unit id and image as the Seldon operator tells a model
container (``PREDICTIVE_UNIT_ID``, ``PREDICTIVE_UNIT_IMAGE``), so replies carry the same
``meta.requestPath`` as in the cluster; without one they carry none.
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
        text = body[:32].decode("utf-8", "replace").strip()
        return body.strip() == b"pong", f"/health/ping answered {text!r}"
    except urllib.error.HTTPError as exc:
        return False, f"/health/ping answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"no answer from {url} ({getattr(exc, 'reason', exc)})"


def server_identity(record: dict[str, Any]) -> tuple[bool, str]:
    """Whether the record's pid is the model server it describes: (verified, why not).

    Verified means: the pid leads its own process group, started at the recorded
    ``create_time`` (within a second), and its command line is ``-m jupyter_mlpipe.serving``
    with the recorded ``--folder`` and ``--name``.
    """
    import psutil

    pid, created = record.get("pid"), record.get("create_time")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1:
        return False, f"the record's pid {pid!r} is not a process id"
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        return False, "the record has no process start time, so the process cannot be verified"
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False, f"process {pid} is gone"
        started, argv, group = process.create_time(), process.cmdline(), os.getpgid(pid)
    except (psutil.NoSuchProcess, ProcessLookupError):
        return False, f"process {pid} is gone"
    except (psutil.AccessDenied, PermissionError):
        return False, f"process {pid} cannot be inspected (another user's)"
    if abs(started - float(created)) >= 1.0:
        return False, f"process {pid} started at another time: it is not the recorded server"
    if group != pid:
        return False, f"process {pid} does not lead its own process group"
    if not _serves(argv, str(record.get("folder")), str(record.get("name"))):
        return False, f"process {pid} runs {' '.join(argv)[:200]!r}, not this model server"
    return True, ""


def _serves(argv: list[str], folder: str, name: str) -> bool:
    def value(flag: str) -> str | None:
        return argv[argv.index(flag) + 1] if flag in argv[:-1] else None

    return ("jupyter_mlpipe.serving" in argv and value("--folder") == folder
            and value("--name") == name)


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
        env.pop("PREDICTIVE_UNIT_ID", None)
        env.pop("PREDICTIVE_UNIT_IMAGE", None)
        if spec.image:
            env.update(PREDICTIVE_UNIT_ID=spec.name, PREDICTIVE_UNIT_IMAGE=spec.image)
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
        if server_identity(previous)[0]:
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
        self._stop(child.pid)  # our own child: its identity is the Popen we hold
        self.store.remove(name)
        raise DeployError(f"the model server for {name!r} did not answer within "
                          f"{self.start_timeout:g}s ({detail}) and was stopped — its log "
                          f"({log}) ends with:\n{log_tail(log)}")

    def status(self, name: str) -> dict[str, Any]:
        """The record with live ``health`` (healthy, unhealthy, stale) and ``detail``."""
        record = self.store.get(name)
        verified, why = server_identity(record)
        if not verified:
            return {**record, "health": STALE,
                    "detail": f"{why} — `mlpipe undeploy {name}` removes the record"}
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
        """Drain and stop the server (SIGTERM, then SIGKILL after ``stop_grace``); forget it.

        Raises:
            DeployError: the record names a live process that is not verifiably its server
                (see :func:`server_identity`): nothing was signalled, the record is removed.
        """
        record = self.store.get(name)
        verified, why = server_identity(record)
        if verified:
            self._stop(int(record["pid"]))
        self.store.remove(name)
        pid = record.get("pid")
        if not verified and isinstance(pid, int) and proc.pid_alive(pid):
            raise DeployError(f"deployment {name!r}: process {pid} was not signalled: {why}. "
                              "The record is removed; stop that process yourself if it is the "
                              "server")

    def _stop(self, pid: int) -> None:
        # The drain itself takes up to stop_grace inside the server; allow a little more
        # before the group is killed.
        proc.terminate_group(pid, float(self.settings.stop_grace) + 2.0)
        child = _CHILDREN.pop(pid, None)
        if child is not None:
            child.wait(timeout=5.0)  # returns at once if terminate_group reaped it already
