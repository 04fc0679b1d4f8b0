"""Kubernetes sweeps outlive the process that started them (the JupyterLab pod).

The whole path runs for real on loopback: the CLI or the API creates the group, its supervisor
runs as a Job in the API double (``run`` mode: the supervisor pod is a local process with the
pod's environment, talking to the double through a kubeconfig), the supervisor creates the trial
Jobs, and their pods run the entry script and the trial, which write into the store.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.store import Store

from .contract_kit import notebook_env
from .double import KubeDouble

pytestmark = pytest.mark.integration

TRIAL = """\
import json, os, time
from polyaxon_helper import get_declarations, get_outputs_path, send_metrics

params = get_declarations()
out = get_outputs_path()
with open(os.path.join(out, "runs.txt"), "a") as fh:
    fh.write("run\\n")
time.sleep(float(params.get("pause", 0.5)))
send_metrics(loss=float(params["x"]) ** 2)
with open(os.path.join(out, "model.dat"), "w") as fh:
    fh.write("weights")
"""
TAIL = """\
declarations:
  pause: 1.0
  python: PYTHON
build:
  image: registry.local/trainer:1
run:
  cmd: '{{ python }} trial.py'
"""
GRID = """\
version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    x: {values: [1, 2, 3, 4]}
""" + TAIL
BO = """\
version: 1
kind: group
hptuning:
  seed: 3
  concurrency: 2
  bo:
    n_initial_trials: 2
    n_iterations: 3
    metric: {name: loss, optimization: minimize}
  matrix:
    x: {uniform: -2:2}
""" + TAIL


@pytest.fixture
def kd() -> Iterator[KubeDouble]:
    with KubeDouble(namespace="lab", mode="run") as double:
        yield double


@pytest.fixture
def env(kd: KubeDouble, tmp_path: Path) -> dict[str, str]:
    """The notebook's settings: the double as the cluster, the test folders as volumes."""
    return notebook_env(kd, tmp_path, "survive")


def _project(tmp_path: Path, spec: str) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "trial.py").write_text(TRIAL)
    path = folder / "sweep.yml"
    path.write_text(spec.replace("PYTHON", json.dumps(sys.executable)))
    return path


def _wait(predicate: Any, what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout  # a safety net against hangs, not a speed check
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.1)


def _statuses(store: Store, group: int) -> list[str]:
    return [r.state.status for r in store.experiments(group)]


def _supervisor_pods(kd: KubeDouble) -> list[dict[str, Any]]:
    return [p for p in kd.objects("pods")
            if p["metadata"]["labels"].get("mlpipe.io/component") == "supervisor"]


def _runs(store: Store, group: int) -> list[int]:
    return [len((Path(r.path) / "runs.txt").read_text().splitlines())
            for r in store.experiments(group)]


def test_grid_sweep_finishes_after_the_starting_process_is_killed(
        kd: KubeDouble, env: dict[str, str], tmp_path: Path) -> None:
    spec = _project(tmp_path, GRID)
    cli = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlpipe.cli", "sweep", "-f", str(spec), "--backend",
         "kubernetes", "--wait"], env={**os.environ, **env}, cwd=spec.parent,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    store = Store(tmp_path / "outputs", "tester", "survive")
    try:
        _wait(lambda: bool(store.groups()) and "running" in _statuses(store, 1),
              "a running trial")
    finally:
        cli.send_signal(signal.SIGKILL)  # the notebook's pod goes away mid-sweep
        cli.wait(30)
        assert cli.stdout is not None
        cli.stdout.close()
    _wait(lambda: store.read_group(1).status in ("succeeded", "failed", "stopped"),
          "the group ends")
    record = store.read_group(1)
    assert record.status == "succeeded", record.message
    assert _statuses(store, 1) == ["succeeded"] * 4 and _runs(store, 1) == [1, 1, 1, 1]
    trial_jobs = [j for j in kd.objects("jobs")
                  if j["metadata"]["labels"].get("mlpipe.io/component") == "trial"]
    assert len(trial_jobs) == 1 and trial_jobs[0]["spec"]["completions"] == 4
    assert len(_supervisor_pods(kd)) == 1
    # a new notebook process sees the finished group from the store alone
    api = Mlpipe(outputs_root=env["MLPIPE_OUTPUTS_ROOT"], project="survive", user="tester")
    assert api.group(1).status == "succeeded"


def test_bo_supervisor_pod_deleted_mid_sweep_resumes_without_rerunning(
        kd: KubeDouble, env: dict[str, str], tmp_path: Path, monkeypatch: Any) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = _project(tmp_path, BO)
    api = Mlpipe()
    sweep = api.sweep(spec, backend="kubernetes")
    store = Store(tmp_path / "outputs", "tester", "survive")
    _wait(lambda: "running" in _statuses(store, sweep.group), "a running trial")
    (first,) = _supervisor_pods(kd)
    kd.delete_pod("lab", first["metadata"]["name"])  # evicted, drained, or deleted by hand
    _wait(lambda: any(p["metadata"]["name"] != first["metadata"]["name"]
                      for p in _supervisor_pods(kd)), "a replacement supervisor pod")
    _wait(lambda: store.read_group(sweep.group).status in ("succeeded", "failed", "stopped"),
          "the group ends")
    record = store.read_group(sweep.group)
    assert record.status == "succeeded", record.message
    assert _statuses(store, sweep.group) == ["succeeded"] * 5
    assert _runs(store, sweep.group) == [1] * 5  # no trial ran twice
    events = [e["event"] for e in store.events(sweep.group)]
    assert events.count("supervisor-started") == 2 and "supervisor-leaving" in events
    assert "adopted" in events  # the running trial was taken over, not launched again
    trial_jobs = [j for j in kd.objects("jobs")
                  if j["metadata"]["labels"].get("mlpipe.io/component") == "trial"]
    assert len(trial_jobs) == 5  # adaptive: one Job per trial, none created twice
