"""Every reader survives every record it can meet: a damaged record hides only itself."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import StoreError
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.records import ExperimentStatus, GroupRecord


def _store(tmp_path: Path, groups: int = 2) -> tuple[Store, list[int]]:
    store = Store(tmp_path, "u", "p")
    made = []
    for _ in range(groups):
        gid = store.create_group(lambda gid: GroupRecord(
            id=gid, project="p", user="u", name="g", created=time.time(), spec_file="",
            project_dir=str(tmp_path), algorithm="grid", backend="local", concurrency=1,
            planned=2, status="succeeded"), "").id
        store.create_experiments(gid, [{"x": 1}, {"x": 2}])
        made.append(gid)
    return store, made


@pytest.mark.parametrize("text", [
    "{", "[]", "null", '"running"', '{"status": "bogus"}', '{"status": 5}',
    '{"status": "running", "started": "yesterday"}', '{"status": "failed", "attempt": "2"}',
    '{"status": "succeeded", "exit_code": 1e400}', '{"status": "running", "finished": true}',
])
def test_a_damaged_status_record_reads_as_unknown_and_says_why(tmp_path: Path, text: str) -> None:
    store, (gid, _) = _store(tmp_path)
    first, second = store.experiment_ids(gid)
    (store.experiment_dir(first) / "status.json").write_text(text)
    state = store.read_status(first)
    assert state.status == "unknown" and "status.json" in state.message
    assert state.duration is None  # the table's derived columns still compute
    records = store.experiments(gid)
    assert [r.id for r in records] == [first, second]
    assert records[1].state == store.read_status(second)


@pytest.mark.parametrize("text", ["{", "[1, 2]", '"x"'])
def test_damaged_params_hide_only_themselves(tmp_path: Path, text: str) -> None:
    store, (gid, _) = _store(tmp_path)
    first, second = store.experiment_ids(gid)
    (store.experiment_dir(first) / "params.json").write_text(text)
    records = store.experiments(gid)
    assert records[0].params == {} and records[1].params == {"x": 2}


def test_a_damaged_group_record_is_named_and_left_out_of_listings(tmp_path: Path) -> None:
    store, (bad, good) = _store(tmp_path)
    path = store.group_dir(bad) / "group.json"
    data = json.loads(path.read_text())
    data["concurrency"] = "99999999999999999999"
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="group.json is damaged.*concurrency"):
        store.read_group(bad)
    assert [g.id for g in store.groups()] == [good]


def test_a_valid_status_round_trips(tmp_path: Path) -> None:
    state = ExperimentStatus(status="succeeded", created=1.0, started=2, finished=3.5,
                             exit_code=0, attempt=1, pid=7, pid_create_time=1.5, message="ok")
    assert ExperimentStatus.from_dict(json.loads(json.dumps(state.to_dict()))) == state
