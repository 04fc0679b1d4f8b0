"""The sweep engine for real: a supervisor process, trial processes, the store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import NotFound, SpecError
from jupyter_mlpipe.proc import pid_alive

pytestmark = pytest.mark.integration

GRID = """
version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    x: {values: [1, 2, 3]}
declarations:
  steps: 3
run:
  cmd: python trial.py --x={{ x }} \\
       --steps={{ steps }}
"""


def test_grid_sweep_layout_params_metrics(
    api: Mlpipe, write_spec: Any, project: Path, outputs_root: Path
) -> None:
    sweep = api.sweep(write_spec(project, GRID), wait=True, progress=False)
    record = sweep.record()
    assert record.status == "succeeded", record.message
    frame = api.experiments(sweep.group, columns="all")
    assert sorted(frame["x"]) == [1, 2, 3]
    assert set(frame["status"]) == {"succeeded"}
    for eid, row in frame.iterrows():
        folder = outputs_root / api.settings.user / "tests" / "groups" / str(sweep.group) / str(eid)
        assert (folder / "model.dat").read_text() == "weights"
        assert json.loads((folder / "argv.json").read_text()) == [f"--x={row['x']}", "--steps=3"]
        lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        assert [line["step"] for line in lines] == [1, 2, 3]
        assert row["loss"] == pytest.approx(row["x"] / 3)
        assert row["loss.max"] == pytest.approx(row["x"])
    best = api.best(sweep.group, "loss", mode="min")
    assert best.params["x"] == 1
    assert api.best(sweep.group, "loss", mode="max").params["x"] == 3
    with pytest.raises(NotFound, match="metrics logged: accuracy, loss"):
        api.best(sweep.group, "f1", mode="max")
    events = [e["event"] for e in api._store().events(sweep.group)]
    assert events[0] == "submitted" and events[-1] == "group-succeeded"
    assert api.groups().loc[sweep.group, "succeeded"] == 3


def test_faults_each_end_in_one_final_state(api: Mlpipe, write_spec: Any, project: Path) -> None:
    spec = """
    version: 1
    kind: group
    hptuning:
      concurrency: 4
      matrix:
        mode: {values: [ok, fail, sigkill, hang]}
    run:
      cmd: python trial.py
    """
    sweep = api.sweep(write_spec(project, spec), wait=True, progress=False, timeout=3)
    frame = api.experiments(sweep.group)
    by_mode = dict(zip(frame["mode"], frame["status"], strict=True))
    assert by_mode == {
        "ok": "succeeded",
        "fail": "failed",
        "sigkill": "failed",
        "hang": "timed-out",
    }
    assert sweep.status() == "failed"
    infos = {api.experiment(e).params["mode"]: api.experiment(e) for e in frame.index}
    assert infos["fail"].exit_code == 1
    assert "SIGKILL" in infos["sigkill"].message
    assert "about to fail" in "".join(api.logs(infos["fail"].id))
    for eid in frame.index:
        assert not pid_alive(api._store().read_status(int(eid)).pid)


def test_retry_reruns_a_failed_attempt(api: Mlpipe, write_spec: Any, project: Path) -> None:
    spec = """
    version: 1
    kind: experiment
    declarations:
      mode: flaky
    run:
      cmd: python trial.py
    """
    sweep = api.sweep(write_spec(project, spec), wait=True, progress=False, retries=1)
    (row,) = api.experiments(sweep.group, columns="all").itertuples()
    assert row.status == "succeeded" and row.attempt == 2
    assert [e["event"] for e in api._store().events(sweep.group)].count("retried") == 1


def test_hostile_values_stay_one_argument_and_never_reach_a_shell(
    api: Mlpipe, write_spec: Any, project: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    values = [
        f"$(touch {marker})",
        "a; touch pwned",
        'it\'s "quoted"',
        "line\nbreak",
        "../../../escape",
        "`touch pwned`",
    ]
    spec = (
        "version: 1\nkind: group\nhptuning:\n  concurrency: 3\n  matrix:\n    name:\n"
        "      values: " + json.dumps(values) + "\nrun:\n  cmd: python trial.py {{ name }}\n"
    )
    sweep = api.sweep(write_spec(project, spec), wait=True, progress=False)
    assert sweep.status() == "succeeded"
    store = api._store()
    seen = []
    for rec in store.experiments(sweep.group):
        argv = json.loads((Path(rec.path) / "argv.json").read_text())
        seen.append(argv[0])
        assert len(argv) == 1
        assert Path(rec.path).resolve().is_relative_to(store.path.resolve())
    assert sorted(seen) == sorted(values)
    assert not marker.exists() and not (project / "pwned").exists()


def test_stop_group_stops_everything(api: Mlpipe, write_spec: Any, project: Path) -> None:
    spec = """
    version: 1
    kind: group
    hptuning:
      concurrency: 2
      matrix:
        mode: {values: [hang]}
        n: {values: [1, 2, 3]}
    run:
      cmd: python trial.py
    """
    sweep = api.sweep(write_spec(project, spec))
    _wait_running(api, sweep.group, 2)
    sweep.stop()
    record = sweep.wait(progress=False, timeout=60)
    assert record.status == "stopped"
    states = api._store().experiments(sweep.group)
    assert {r.status for r in states} == {"stopped"}
    assert all(not pid_alive(r.state.pid) for r in states)


def test_supervisor_killed_is_reconciled_and_resumed(
    api: Mlpipe, write_spec: Any, project: Path
) -> None:
    spec = """
    version: 1
    kind: group
    hptuning:
      concurrency: 1
      matrix:
        x: {values: [1, 2, 3]}
    declarations:
      pause: 1
      steps: 2
    run:
      cmd: python trial.py
    """
    sweep = api.sweep(write_spec(project, spec))
    _wait_running(api, sweep.group, 1)
    record = sweep.record()
    assert record.supervisor is not None
    os.kill(record.supervisor.pid, 9)
    _wait_dead(record.supervisor.pid)
    reconciled = Mlpipe(project="tests").group(sweep.group)  # a new "kernel" looks
    assert reconciled.status == "failed" and "resume" in reconciled.message
    store = api._store()
    first = {r.id: r for r in store.experiments(sweep.group)}
    assert all(r.state.is_final for r in first.values())
    assert all(not pid_alive(r.state.pid) for r in first.values())
    interrupted = [r.id for r in first.values() if r.state.reason == "lost"]
    assert interrupted
    api.resume(sweep.group).wait(progress=False, timeout=120)
    final = {r.id: r for r in store.experiments(sweep.group)}
    assert all(r.state.is_final for r in final.values())
    assert sorted(r.params["x"] for r in final.values()) == [1, 2, 3]
    for eid in interrupted:  # an interrupted experiment is not run twice
        if first[eid].state.started is not None:
            assert final[eid].status == "stopped"


def test_spec_errors_point_at_the_file(api: Mlpipe, write_spec: Any, project: Path) -> None:
    path = write_spec(
        project,
        "version: 1\nkind: group\nhptuning:\n  matrix:\n"
        "    lr: {linspac: 0.001:0.1:5}\nrun:\n  cmd: python trial.py\n",
    )
    with pytest.raises(SpecError) as info:
        api.sweep(path)
    assert str(info.value).startswith(f"{path}:5:")
    assert "linspace" in str(info.value)
    assert api.groups().empty


def _wait_running(api: Mlpipe, group: int, n: int) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(r.status == "running" for r in api._store().experiments(group)) >= n:
            return
        time.sleep(0.1)
    raise AssertionError("experiments did not start")


def _wait_dead(pid: int) -> None:
    import time

    deadline = time.monotonic() + 30
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
