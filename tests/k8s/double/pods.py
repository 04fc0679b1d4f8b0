"""How the double's pods run: scripted outcomes, or the container's command as a local process.

``run`` mode is what the executor contract suite uses: the pod's argv runs as a local subprocess
with the environment from the pod spec (downward-API annotations resolved), ConfigMap volumes
written to temporary folders and their mount paths rewritten to those folders, and ``python3``
replaced by the test interpreter. The shared volumes are mounted at the paths the tests use, so
what a trial writes lands in the test's store — a loopback stand-in for a node.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ANNOTATION = re.compile(r"^metadata\.annotations\['(.+)'\]$")


@dataclass
class Outcome:
    """What a scripted pod does: print ``logs``, stay running ``hold`` seconds (or until it is
    deleted), then end with ``exit_code``; ``deadline`` ends it as DeadlineExceeded."""

    exit_code: int = 0
    logs: list[str] = field(default_factory=lambda: ["working"])
    hold: float = 0.05
    deadline: bool = False
    disruption: bool = False


def resolve_env(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet would set it (values and annotation refs)."""
    annotations = pod["metadata"].get("annotations") or {}
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = (item.get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath", "")
        m = _ANNOTATION.match(ref)
        if m:
            env[item["name"]] = annotations.get(m.group(1), "")
        elif ref in ("metadata.name", "metadata.namespace"):
            env[item["name"]] = str(pod["metadata"].get(ref.split(".", 1)[1], ""))
    return env


class LocalPod:
    """Runs one pod's first container as a subprocess; ``kill`` ends it (pod deletion)."""

    def __init__(self, pod: dict[str, Any], configmaps: dict[str, dict[str, str]],
                 python: list[str] | None = None) -> None:
        self.pod = pod
        self.python = python or [sys.executable]  # what the image's python3/python is
        self.killed = threading.Event()
        self.tmp = tempfile.TemporaryDirectory(prefix="kdouble-pod-")
        self.paths: dict[str, str] = {}
        spec = pod["spec"]
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        container = spec["containers"][0]
        for mount in container.get("volumeMounts") or []:
            cm = volumes.get(mount["name"], {}).get("configMap")
            if cm is None:
                continue  # PVC mounts: the tests use real folders at the same paths
            folder = Path(self.tmp.name) / mount["name"]
            folder.mkdir()
            for key, text in configmaps.get(cm["name"], {}).items():
                (folder / key).write_text(text, encoding="utf-8")
            self.paths[mount["mountPath"]] = str(folder)
        self.container = container
        self.proc: subprocess.Popen[bytes] | None = None

    def _map(self, text: str) -> str:
        for mount, local in self.paths.items():
            if text == mount or text.startswith(mount + "/"):
                return local + text[len(mount):]
        return text

    def run(self, on_line: Any, deadline: float | None) -> tuple[int, bool]:
        """Run to the end; return (exit code, deadline exceeded)."""
        argv = [self._map(a) for a in (self.container.get("command") or [])
                + (self.container.get("args") or [])]
        if argv and argv[0] in ("python3", "python"):
            argv[:1] = self.python
        env = {**os.environ, **{k: self._map(v) for k, v in resolve_env(
            self.pod, self.container).items()}}
        cwd = self.container.get("workingDir")
        if self.killed.is_set():  # deleted before it started
            return 137, False
        try:
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd if cwd and os.path.isdir(cwd)
                                         else None, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        except FileNotFoundError:  # the runtime cannot start the command (StartError)
            self.tmp.cleanup()
            return 128, False
        timer = None
        expired = threading.Event()
        if deadline:
            def expire() -> None:
                expired.set()
                self.kill()
            timer = threading.Timer(deadline, expire)
            timer.start()
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for raw in self.proc.stdout:
                on_line(raw.decode("utf-8", "replace").rstrip("\n"))
        code = self.proc.wait()
        if timer is not None:
            timer.cancel()
        self.tmp.cleanup()
        return code, expired.is_set()

    def kill(self) -> None:
        """Graceful stop as the kubelet does it: SIGTERM, then SIGKILL after a grace period."""
        self.killed.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, 15)
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
