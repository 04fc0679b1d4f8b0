"""Fixtures for the notebook front ends: a real API over a temporary store, IPython shells.

``SyntheticGroup`` plays the part of a group's supervisor (it records this test process as the
supervisor, so the API sees a live group) and writes experiments, statuses and metrics with the
store's own functions — the same files a real sweep writes.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.proc import process_create_time
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.files import append_jsonl
from jupyter_mlpipe.store.records import ExperimentStatus, GroupRecord, Objective, Supervisor

LOSS_MIN = Objective("loss", "min")


class SyntheticGroup:
    """A group driven by the test: experiments, statuses and metric points on demand."""

    def __init__(
        self,
        store: Store,
        params: list[dict[str, Any]],
        name: str = "synthetic",
        project_dir: str = ".",
        objective: Objective | None = LOSS_MIN,
    ) -> None:
        self.store = store
        me = Supervisor(
            pid=os.getpid(),
            create_time=process_create_time(os.getpid()) or 0.0,
            host=socket.gethostname(),
            started=time.time(),
        )
        record = store.create_group(
            lambda gid: GroupRecord(
                id=gid,
                project=store.project,
                user=store.user,
                name=name,
                created=time.time(),
                spec_file="<test>",
                project_dir=project_dir,
                algorithm="grid",
                backend="local",
                concurrency=2,
                planned=len(params),
                status="running",
                supervisor=me,
                objective=objective,
            ),
            "version: 1\nkind: group\n",
        )
        self.id = record.id
        self.experiments = store.create_experiments(record.id, params)

    def set_status(self, eid: int, status: str) -> None:
        now = time.time()
        self.store.write_status(
            eid,
            ExperimentStatus(
                status=status,
                created=now,
                started=now,
                finished=now if status != "running" else None,
            ),
        )

    def log(self, eid: int, step: int, **values: float) -> None:
        append_jsonl(
            self.store.metrics_path(eid), {"step": step, "time": time.time(), "values": values}
        )

    def finish(self, status: str = "succeeded") -> None:
        for eid in self.experiments:
            if self.store.read_status(eid).status in ("queued", "running"):
                self.set_status(eid, status)
        self.store.write_group(
            self.store.read_group(self.id).evolve(status=status, finished=time.time())
        )


TINY_TRAIN = """\
import os
from jupyter_mlpipe import tracking

params = tracking.get_params()
lr = params["lr"]
for step in range(int(params["epochs"])):
    tracking.log_metrics(step=step, loss=1.0 / (1 + step * lr), accuracy=step * lr)
print("trained with lr", params["lr"])
with open(os.path.join(tracking.get_outputs_path(), "model.dat"), "w") as fh:
    fh.write(str(params["lr"]))
"""

TINY_MODEL = """\
import os


class TinyModel:
    def __init__(self):
        with open(os.path.join(os.path.dirname(__file__), "model.dat")) as fh:
            self.scale = float(fh.read())

    def predict(self, X, features_names=None):
        return [[float(v) * self.scale for v in row] for row in X]
"""

TINY_SPEC = """\
version: 1
kind: group
declarations:
  epochs: 3
hptuning:
  concurrency: 2
  matrix:
    lr:
      values: [0.5, 2.0]
run:
  cmd: python train.py
"""


@pytest.fixture
def tiny_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A tiny trainable project as the current folder; returns its sweep spec (2 experiments)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text(TINY_TRAIN)
    (project / "TinyModel.py").write_text(TINY_MODEL)
    monkeypatch.chdir(project)  # a spec given as text runs its trials in the current folder
    return TINY_SPEC


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    return tmp_path / "outputs"


@pytest.fixture
def api(tmp_path: Path, outputs: Path) -> Mlpipe:
    return Mlpipe(
        outputs_root=str(outputs),
        deployments_root=str(tmp_path / "deployments"),
        user="tester",
        project="nbtest",
    )


@pytest.fixture
def make_group(api: Mlpipe) -> Any:
    def make(
        params: list[dict[str, Any]] | None = None,
        name: str = "synthetic",
        project_dir: str = ".",
        objective: Objective | None = LOSS_MIN,
    ) -> SyntheticGroup:
        store = Store(api.settings.outputs_root, api.settings.user, api.settings.project)
        return SyntheticGroup(
            store,
            params or [{"lr": 0.1, "epochs": 4}, {"lr": 0.5, "epochs": 4}],
            name,
            project_dir,
            objective,
        )

    return make


@pytest.fixture
def shell(api: Mlpipe) -> Iterator[Any]:
    """A fresh in-process IPython shell with the magics loaded around ``api``."""
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_mlpipe.magics import register

    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance()
    magics = register(ip, api=api)
    ip.user_ns["_mlpipe_magics"] = magics
    yield ip
    InteractiveShell.clear_instance()
