"""A whole sweep through the sweep driver, the Kubernetes executor and the API double.

The double runs each pod's command as a local process (the entry script from the Job's
ConfigMap, then the trial), so metrics reach the store through the tracking module exactly as
they would through the shared outputs volume of a cluster.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from jupyter_mlpipe.store import GroupRecord, Store

from .contract_kit import drive
from .double import KubeDouble

pytestmark = pytest.mark.integration

TRAIN = """\
import sys
from jupyter_mlpipe import tracking

lr = float(sys.argv[1].split("=", 1)[1])
for step in range(3):
    tracking.log_metrics(step=step, loss=lr * (3 - step))
print("trained with", lr)
"""


def test_grid_sweep_runs_as_one_indexed_job_and_fills_the_store(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text(TRAIN)
    spec = f"""\
version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    lr:
      values: [0.1, 0.2, 0.3]
declarations:
  python: {json.dumps(sys.executable)}
build:
  image: python:3.11-slim
run:
  cmd: '{{{{ python }}}} train.py --lr={{{{ lr }}}}'
"""
    store = Store(tmp_path / "outputs", "tester", "e2e")
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project="e2e", user="tester", name="e2e", created=time.time(),
        spec_file="sweep.yml", project_dir=str(project), algorithm="grid",
        backend="kubernetes", concurrency=2, planned=3), spec)
    with KubeDouble(namespace="e2e", mode="run") as kd:
        final = drive(kd, store, group.id)
        jobs = kd.objects("jobs")
    assert final.status == "succeeded", final.message
    assert len(jobs) == 1 and jobs[0]["spec"]["completions"] == 3
    assert jobs[0]["spec"]["parallelism"] == 2
    records = store.experiments(group.id)
    assert sorted(r.params["lr"] for r in records) == [0.1, 0.2, 0.3]
    for rec in records:
        assert rec.status == "succeeded"
        points = [json.loads(line) for line in
                  (Path(rec.path) / "metrics.jsonl").read_text().splitlines()]
        assert [p["values"]["loss"] for p in points] == pytest.approx(
            [rec.params["lr"] * 3, rec.params["lr"] * 2, rec.params["lr"]])
        assert "trained with" in (Path(rec.path) / "output.log").read_text()


def test_a_failed_trial_pod_is_reported_with_its_last_output_line(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print('loading')\n"
                                       "raise SystemExit('ValueError: lr must be positive')\n")
    store = Store(tmp_path / "outputs", "tester", "e2e")
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project="e2e", user="tester", name="e2e", created=time.time(),
        spec_file="run.yml", project_dir=str(tmp_path), algorithm="single",
        backend="kubernetes", concurrency=1, planned=1),
        "version: 1\nkind: experiment\nbuild: {image: python:3.11-slim}\n"
        f"run: {{cmd: '{json.dumps(sys.executable)} train.py'}}\n")
    with KubeDouble(namespace="e2e", mode="run") as kd:
        final = drive(kd, store, group.id)
    assert final.status == "failed"
    (record,) = store.experiments(group.id)
    # the pod wrote its output to the experiment folder; its last line is the reason
    assert record.state.message == "exited with code 1: ValueError: lr must be positive"
