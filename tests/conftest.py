"""Shared fixtures: every test gets its own outputs, data and deployments roots and config file."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SCHEMAS = REPO.parent / "shared" / "schemas"


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real roots or config file."""
    base = tmp_path_factory.mktemp("mlpipe")
    monkeypatch.setenv("MLPIPE_OUTPUTS_ROOT", str(base / "outputs"))
    monkeypatch.setenv("MLPIPE_DATA_ROOT", str(base / "data"))
    monkeypatch.setenv("MLPIPE_DEPLOYMENTS_ROOT", str(base / "deployments"))
    monkeypatch.setenv("MLPIPE_CONFIG", str(base / "config.yaml"))
    monkeypatch.setenv("MLPIPE_STOP_GRACE", "3")


@pytest.fixture
def outputs_root() -> Path:
    import os

    return Path(os.environ["MLPIPE_OUTPUTS_ROOT"])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop and reap any child process a test left running, and name it in tests/artifacts.

    Tests stop what they start; this is the safety net that keeps a leak from outliving the run
    (and from printing a ResourceWarning after pytest's summary line). Runs before the summary.
    """
    import gc
    import os
    import subprocess

    import psutil

    lines = []
    # Popen objects nobody waited for: stop and reap them through their own handle. type(), not
    # isinstance(): the latter asks lazy module proxies for __class__, which may warn.
    handles = [o for o in gc.get_objects() if issubclass(type(o), subprocess.Popen)]
    for handle in handles:
        if handle.poll() is None:
            lines.append(f"{handle.pid}: {handle.args!r} (a Popen never waited for)")
            handle.kill()
            try:
                handle.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    leaked = []
    for child in psutil.Process().children():
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                # a daemon (a sweep's supervisor) that ended: proc.start_daemon reaps those at
                # the next start, so the last one waits here; reap it, it is no leak
                os.waitpid(child.pid, os.WNOHANG)
                continue
            command = " ".join(child.cmdline())
            if "multiprocessing.resource_tracker" in command:
                continue  # Python's own helper of this interpreter: it ends when pytest does
            lines.append(f"{child.pid}: {command}")
            leaked.append(child)
        except (psutil.Error, ChildProcessError):
            continue  # ended meanwhile
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(leaked, timeout=5)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)
    if not lines:
        return
    artifacts = REPO / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "leaked-processes.txt").write_text("\n".join(lines) + "\n")
