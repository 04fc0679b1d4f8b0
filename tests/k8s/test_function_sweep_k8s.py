"""A function sweep on the Kubernetes backend, through the API double's pods (run locally).

The pickled function travels on the outputs volume (the group folder); the generated command
checks the pod's Python and cloudpickle against the notebook's before it unpickles anything. The
function lives in this test module, which a pod could not import: it travels by value.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cloudpickle
import pytest

from jupyter_mlpipe.api.functions import function_spec, pickle_function
from jupyter_mlpipe.store import GroupRecord, Store
from jupyter_mlpipe.tracking.function_trial import FUNCTION_FILE

from .contract_kit import drive
from .double import KubeDouble

pytestmark = pytest.mark.integration


def train(lr: float) -> dict[str, float]:
    if lr > 0.25:
        raise RuntimeError("diverged")
    return {"accuracy": 1 - lr}


def _run(tmp_path: Path, spec: str) -> tuple[Store, int, str]:
    store = Store(tmp_path / "outputs", "tester", "fk8s")
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project="fk8s", user="tester", name="train", created=time.time(),
        spec_file="<function train>", project_dir=str(tmp_path), algorithm="grid",
        backend="kubernetes", concurrency=2, planned=3), spec)
    (store.group_dir(group.id) / FUNCTION_FILE).write_bytes(pickle_function(train))
    with KubeDouble(namespace="fk8s", mode="run") as kd:
        final = drive(kd, store, group.id)
    return store, group.id, final.status


def _spec(**replace: str) -> str:
    text = function_spec(train, {"lr": {"values": [0.1, 0.2, 0.3]}}, concurrency=2,
                         image="registry.local/trainer:1")
    # the double runs pods here: "python" is this interpreter, as the image's would be
    text = text.replace("cmd: python ", f"cmd: {sys.executable} ")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def test_function_trials_run_in_pods_and_report_exceptions(tmp_path: Path) -> None:
    store, gid, status = _run(tmp_path, _spec())
    assert status == "failed"
    by_lr = {r.params["lr"]: r for r in store.experiments(gid)}
    assert by_lr[0.1].status == by_lr[0.2].status == "succeeded"
    assert by_lr[0.3].status == "failed"
    assert by_lr[0.3].state.message.endswith("RuntimeError: diverged")
    assert "Traceback" in (Path(by_lr[0.3].path) / "output.log").read_text()
    assert '"values": {"accuracy": 0.9}' in (Path(by_lr[0.1].path) / "metrics.jsonl").read_text()


def test_a_pod_with_other_versions_refuses_clearly(tmp_path: Path) -> None:
    ours = f"--cloudpickle {cloudpickle.__version__}"
    store, gid, status = _run(tmp_path, _spec(**{ours: "--cloudpickle 0.0.1"}))
    assert status == "failed"
    for record in store.experiments(gid):
        assert record.status == "failed" and record.state.exit_code == 2
        assert "cloudpickle 0.0.1, but this trial runs Python" in record.state.message
        assert "pip install cloudpickle==0.0.1" in record.state.message
