"""Mlpipe.ship on a real local sweep: best by either direction, names, no clobbering, refusals."""

from __future__ import annotations

import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import Conflict, InvalidArgument, PackageError
from jupyter_mlpipe.packaging import read_lineage
from jupyter_mlpipe.store.operations import OperationEvent, OperationRecord

pytestmark = pytest.mark.integration

# loss is smallest for x=1; accuracy is largest for x=3: the two directions pick different winners.
TRIAL = """
import os
from jupyter_mlpipe import tracking

x = float(tracking.get_params()["x"])
for step in (1, 2):
    tracking.log_metrics(step=step, loss=x / step, accuracy=x / 10)
with open(os.path.join(tracking.get_outputs_path(), "model.dat"), "w") as fh:
    fh.write(str(x))
"""
MODEL = """
class TinyModel:
    def __init__(self):
        with open("model.dat") as fh:
            self.x = float(fh.read())

    def predict(self, X, names=None):
        return [[self.x]]
"""
SPEC = """
version: 1
kind: group
hptuning:
  concurrency: 3
  matrix:
    x: {values: [1, 2, 3]}
run:
  cmd: python trial.py
"""


@pytest.fixture
def model_project(tmp_path: Path) -> Path:
    folder = tmp_path / "model-proj"
    folder.mkdir()
    (folder / "trial.py").write_text(TRIAL)
    (folder / "TinyModel.py").write_text(textwrap.dedent(MODEL))
    (folder / "sweep.yml").write_text(SPEC)
    return folder


@pytest.fixture
def shipper(api: Mlpipe) -> Iterator[Mlpipe]:
    """The API; afterwards every deployment it made is removed (no server left behind)."""
    yield api
    for name in api.deployments().index:
        api.undeploy(name)


def _sweep(api: Mlpipe, folder: Path, project: str) -> tuple[int, dict[float, int]]:
    handle = api.sweep(folder / "sweep.yml", project=project, wait=True, progress=False)
    frame = api.experiments(handle.group, project=project)
    assert set(frame["status"]) == {"succeeded"}
    by_x = {float(x): int(eid) for eid, x in frame["x"].items()}
    return handle.group, by_x


def _wait(api: Mlpipe, op_id: str) -> OperationRecord:
    for _ in range(1200):
        record = api.operation(op_id)
        if record.finished:
            return record
        time.sleep(0.05)
    raise AssertionError(f"operation {op_id} did not finish: {record}")


def _served_x(api: Mlpipe, name: str) -> float:
    return float(api.predict(name, {"data": {"ndarray": [[0.0]]}}).values[0][0])


def test_ship_the_best_by_either_direction(shipper: Mlpipe, model_project: Path) -> None:
    api = shipper
    group, by_x = _sweep(api, model_project, "mnist")
    events: list[OperationEvent] = []
    by_loss = api.ship(group, metric="loss", mode="min", project="mnist", on_progress=events.append)
    assert by_loss.status == "succeeded", by_loss.error
    assert [(s.name, s.status) for s in by_loss.steps] == [
        ("best", "succeeded"),
        ("package", "succeeded"),
        ("build", "skipped"),
        ("deploy", "succeeded"),
    ]
    name = f"mnist-g{group}-e{by_x[1.0]}"
    assert by_loss.result["best"]["experiment"] == by_x[1.0]
    assert by_loss.result["package"]["name"] == name
    assert _served_x(api, name) == 1.0
    assert [e.step for e in events][:2] == ["best", "best"] and events[-1].message == "done"
    logged, _ = api.operation_events(by_loss.id)
    assert logged == events
    assert api.operation(by_loss.id) == by_loss

    by_accuracy = api.ship(group, metric="accuracy", mode="max", project="mnist")
    assert by_accuracy.result["best"]["experiment"] == by_x[3.0]
    assert _served_x(api, f"mnist-g{group}-e{by_x[3.0]}") == 3.0
    assert _served_x(api, name) == 1.0  # the first deployment is untouched
    assert [r.id for r in api.operations()] == [by_accuracy.id, by_loss.id]


def test_two_projects_ship_at_once_without_clobbering(shipper: Mlpipe, model_project: Path) -> None:
    api = shipper
    (group_a, by_x_a), (group_b, by_x_b) = (
        _sweep(api, model_project, "alpha"),
        _sweep(api, model_project, "beta"),
    )
    assert group_a == group_b == 1  # the same ids in both projects: names must still differ
    started = [
        api.ship(1, metric="loss", mode="min", project="alpha", wait=False),
        api.ship(1, metric="accuracy", mode="max", project="beta", wait=False),
    ]
    assert {r.status for r in started} == {"queued"}
    done = [_wait(api, r.id) for r in started]
    assert [r.status for r in done] == ["succeeded", "succeeded"], [r.error for r in done]
    names = [r.result["package"]["name"] for r in done]
    assert names == [f"alpha-g1-e{by_x_a[1.0]}", f"beta-g1-e{by_x_b[3.0]}"]
    for project, name, x in (("alpha", names[0], 1.0), ("beta", names[1], 3.0)):
        lineage = read_lineage(api.package_folder(name))
        assert lineage["project"] == project
        assert _served_x(api, name) == x


def test_a_served_package_is_never_replaced(shipper: Mlpipe, model_project: Path) -> None:
    api = shipper
    group, by_x = _sweep(api, model_project, "mnist")
    first = api.ship(experiment=by_x[2.0], name="live", project="mnist")
    assert first.status == "succeeded" and first.result["package"]["name"] == "live"
    assert [s.name for s in first.steps] == ["package", "build", "deploy"]
    with pytest.raises(PackageError, match="undeploy live` first, or choose another name"):
        api.package(by_x[3.0], "live", force=True, project="mnist")
    with pytest.raises(PackageError, match="served by deployment 'live'"):
        api.ship(experiment=by_x[3.0], name="live", force=True, project="mnist")
    failed = api.operations()[0]
    assert failed.status == "failed" and failed.step("package").status == "failed"
    assert failed.error is not None and failed.error["type"] == "PackageError"
    assert _served_x(api, "live") == 2.0  # still the first model, folder intact

    api.undeploy("live")
    again = api.ship(experiment=by_x[3.0], name="live", force=True, project="mnist")
    assert again.status == "succeeded" and _served_x(api, "live") == 3.0


def test_an_existing_package_is_reused_or_refused_never_overwritten(
    shipper: Mlpipe, model_project: Path
) -> None:
    api = shipper
    group, by_x = _sweep(api, model_project, "mnist")
    api.package(by_x[1.0], "kept", project="mnist")
    reused = api.ship(experiment=by_x[1.0], name="kept", project="mnist")
    assert reused.step("package").status == "skipped"
    assert "reusing" in reused.step("package").message
    assert reused.step("deploy").status == "succeeded"
    again = api.ship(experiment=by_x[1.0], name="kept", project="mnist")  # a second click
    assert again.status == "succeeded" and again.step("deploy").status == "skipped"
    assert "already serves this experiment" in again.step("deploy").message
    assert again.result["deploy"]["url"] == reused.result["deploy"]["url"]
    api.undeploy("kept")
    with pytest.raises(Conflict, match="already exists"):
        api.ship(experiment=by_x[2.0], name="kept", project="mnist")
    assert read_lineage(api.package_folder("kept"))["experiment"] == by_x[1.0]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({}, "not neither"),
        ({"group": 1, "experiment": 2}, "not both"),
        ({"group": 2**53}, "below 2\\*\\*53"),
        ({"group": True}, "below 2\\*\\*53"),
        ({"group": 1, "mode": "median"}, "'min' or 'max'"),
        ({"group": 1, "backend": "ssh"}, "deploy backend"),
        ({"group": 1, "name": "Bad Name"}, "DNS-1123"),
    ],
)
def test_bad_requests_record_nothing(api: Mlpipe, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(Exception, match=match) as raised:
        api.ship(**kwargs)
    assert (
        isinstance(raised.value, (InvalidArgument, PackageError))
        or "Invalid" in type(raised.value).__name__
    )
    assert api.operations() == []


def test_a_failing_background_ship_lands_in_its_record(api: Mlpipe) -> None:
    record = api.ship(experiment=99, project="nothing-here", wait=False)
    final = _wait(api, record.id)
    assert final.status == "failed"
    assert final.step("package").status == "failed"
    assert final.error is not None and final.error["type"] == "NotFound"
    assert final.step("package").message == final.error["message"]


def test_progress_is_reported_from_the_background_thread(
    shipper: Mlpipe, model_project: Path
) -> None:
    api = shipper
    group, by_x = _sweep(api, model_project, "mnist")
    seen: list[tuple[str, str | None]] = []
    record = api.ship(
        group,
        metric="loss",
        mode="min",
        project="mnist",
        wait=False,
        on_progress=lambda e: seen.append((threading.current_thread().name, e.step)),
    )
    final = _wait(api, record.id)
    assert final.status == "succeeded", final.error
    assert seen and {t for t, _ in seen} == {f"mlpipe-ship-{record.id}"}
