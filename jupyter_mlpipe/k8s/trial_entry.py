"""The fixed entry point every sweep pod runs (standard library only).

The Job's ConfigMap is mounted at ``$MLPIPE_JOB_DIR``; it holds this file as ``entry.py``, the
variables shared by all trials as ``common.json``, and one ``<index>.json`` per trial:
``{"experiment", "attempt", "params", "argv", "env", "alias", "cwd", "build_steps",
"outputs_path"}``. The pod reads the entry for ``$JOB_COMPLETION_INDEX`` (``0`` for
a single-trial Job), runs each build step and then the trial's command as argument lists — user
values never pass through a shell, and the pod's command line is the same for every sweep — and
copies the output to the pod log and to ``output.log`` in the experiment folder. It exits with the
command's exit code, so Kubernetes counts failures and retries per index. A stop request is a
marker file in the experiment folder: the entry then ends the command and exits with code 86,
which the Job's pod failure policy treats as final (no retry).

Build steps are split with :func:`shlex.split`; shell operators (``&&``, pipes, redirections) are
not interpreted. This script runs inside the user's image, where jupyter-mlpipe may be absent,
which is why it uses :mod:`subprocess` directly instead of the package's process helpers.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

NOT_FOUND = 127  # the shell's convention; the Job's podFailurePolicy fails the index at once
STOPPED = 86  # stopped on request (the stop marker appeared); the index is not retried
STOP_MARKER = ".mlpipe-stop"


def load_entry(job_dir: Path, index: str) -> dict[str, Any]:
    """The trial description for ``index`` from the mounted ConfigMap, its environment
    completed with the Job's shared variables and the aliased names."""
    data: dict[str, Any] = json.loads((job_dir / f"{index}.json").read_text(encoding="utf-8"))
    common = job_dir / "common.json"
    env = json.loads(common.read_text(encoding="utf-8"))["env"] if common.exists() else {}
    env.update(data.get("env", {}))
    for key, source in data.get("alias", {}).items():
        env[key] = env[source]
    data["env"] = env
    return data


def trial_env(entry: dict[str, Any], failures: int) -> dict[str, str]:
    """The process environment: the pod's, the trial's, and the attempt corrected for retries."""
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in entry.get("env", {}).items()})
    attempt = int(entry.get("attempt", 0)) + failures
    for key in ("MLPIPE_TRIAL_INFO", "POLYAXON_EXPERIMENT_INFO"):
        if key in env:
            try:
                info = json.loads(env[key])
                info["attempt"] = attempt
                env[key] = json.dumps(info)
            except (ValueError, TypeError):
                pass
    try:  # make the polyaxon_helper shim importable when the image has jupyter-mlpipe
        from jupyter_mlpipe.tracking import compat_path

        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(compat_path()),
                                                          env.get("PYTHONPATH", "")]))
    except Exception:  # the image may lack the package; trials still run
        pass
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _watch_marker(marker: Path | None, child: subprocess.Popen[str], done: threading.Event,
                  stopped: threading.Event) -> None:
    """Terminate ``child`` once ``marker`` exists (a stop request written by the executor)."""
    if marker is None:
        return
    while not done.wait(0.5):
        if marker.exists():
            stopped.set()
            child.terminate()
            if not done.wait(10.0):
                child.kill()
            return


def run(argv: list[str], cwd: str | None, env: dict[str, str], log: IO[str] | None,
        marker: Path | None = None) -> int:
    """Run ``argv``, copying its output to stdout and ``log``; forward SIGTERM to it; end it
    with exit code ``STOPPED`` when ``marker`` appears."""
    if marker is not None and marker.exists():
        emit("mlpipe: stopped on request before start", log)
        return STOPPED
    try:
        child = subprocess.Popen(argv, cwd=cwd or None, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, errors="replace")
    except FileNotFoundError:
        emit(f"mlpipe: command not found: {argv[0]!r} — install it in the image", log)
        return NOT_FOUND
    previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    done, stopped = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_watch_marker, args=(marker, child, done, stopped),
                               daemon=True)
    watcher.start()
    try:
        assert child.stdout is not None
        with child.stdout:
            for line in child.stdout:
                emit(line.rstrip("\n"), log)
        code = child.wait()
    finally:
        done.set()
        signal.signal(signal.SIGTERM, previous)
    if stopped.is_set():
        emit("mlpipe: stopped on request", log)
        return STOPPED
    return code


def emit(line: str, log: IO[str] | None) -> None:
    print(line, flush=True)
    if log is not None:
        log.write(line + "\n")
        log.flush()


def main() -> int:
    job_dir = Path(os.environ.get("MLPIPE_JOB_DIR", "/var/run/mlpipe/job"))
    index = os.environ.get("JOB_COMPLETION_INDEX", "0")
    failures = int(os.environ.get("MLPIPE_INDEX_FAILURES") or 0)
    entry = load_entry(job_dir, index)
    env = trial_env(entry, failures)
    outputs = Path(entry["outputs_path"]) if entry.get("outputs_path") else None
    log = None
    if outputs is not None:
        outputs.mkdir(parents=True, exist_ok=True)
        log = open(outputs / "output.log", "a", encoding="utf-8")  # closed below
    try:
        marker = outputs / STOP_MARKER if outputs is not None else None
        for step in entry.get("build_steps", []):
            emit(f"mlpipe: build step: {step}", log)
            code = run(shlex.split(step), entry.get("cwd"), env, log, marker)
            if code != 0:
                emit(f"mlpipe: build step failed with exit code {code}: {step}", log)
                return code
        code = run([str(a) for a in entry["argv"]], entry.get("cwd"), env, log, marker)
        # a signal death (negative code) becomes 128 + signal, as a shell would report it
        return code if code >= 0 else 128 - code
    finally:
        if log is not None:
            log.close()


if __name__ == "__main__":
    sys.exit(main())
