"""The store's guarantees: unique ids under concurrency, atomic records, torn-line tolerance."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import InvalidName, NotFound, StoreError
from jupyter_mlpipe.store import (
    DeploymentStore,
    ExperimentStatus,
    GroupRecord,
    Store,
    append_jsonl,
    atomic_write_json,
    read_json,
    safe_join,
    validate_name,
)
from jupyter_mlpipe.store.metrics import read_lines


def _record(gid: int) -> GroupRecord:
    return GroupRecord(
        id=gid,
        project="p",
        user="u",
        name=f"g{gid}",
        created=time.time(),
        spec_file="s.yml",
        project_dir="/tmp",
        algorithm="grid",
        backend="local",
        concurrency=1,
        planned=2,
    )


def _make_groups(root: str, n: int, queue: multiprocessing.Queue) -> None:
    store = Store(root, "u", "p")
    ids = []
    for _ in range(n):
        group = store.create_group(_record, "spec")
        ids.append(group.id)
        ids.extend(-e for e in store.create_experiments(group.id, [{}, {}]))
    queue.put(ids)


def test_ids_are_unique_when_processes_race(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_make_groups, args=(str(tmp_path), 10, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    groups = [i for r in results for i in r if i > 0]
    experiments = [-i for r in results for i in r if i < 0]
    assert sorted(groups) == list(range(1, 41))
    assert sorted(experiments) == list(range(1, 81))
    store = Store(tmp_path, "u", "p")
    for eid in experiments:  # every experiment id leads to a folder of the right group
        folder = store.experiment_dir(eid)
        assert folder.is_dir() and folder.parent.parent == store.groups_dir


def test_layout_and_records(tmp_path: Path) -> None:
    store = Store(tmp_path, "root", "mnist")
    group = store.create_group(_record, "version: 1\n")
    (eid,) = store.create_experiments(group.id, [{"lr": 0.1}])
    assert store.experiment_dir(eid) == tmp_path / "root" / "mnist" / "groups" / "1" / "1"
    assert store.read_experiment(eid).params == {"lr": 0.1}
    assert store.read_status(eid).status == "queued"
    store.write_status(eid, ExperimentStatus(status="running", started=1.0))
    assert store.read_experiment(eid).status == "running"
    assert store.read_spec_text(group.id) == "version: 1\n"
    assert store.group_of(eid) == group.id
    with pytest.raises(NotFound, match="experiment 99"):
        store.experiment_dir(99)
    with pytest.raises(NotFound, match="group 5"):
        store.read_group(5)


def test_metric_lines_are_read_incrementally_and_a_torn_last_line_waits(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    append_jsonl(path, {"values": {"a": 1}, "step": 0})
    append_jsonl(path, {"values": {"a": 2}, "step": 1})
    with open(path, "ab") as fh:
        fh.write(b'{"values": {"a": 3}')  # a writer died mid-line, or is mid-write
    lines, offset = read_lines(path)
    assert [(line.step, line.values) for line in lines] == [(0, {"a": 1.0}), (1, {"a": 2.0})]
    assert read_lines(path, offset) == ([], offset)
    with open(path, "ab") as fh:
        fh.write(b"}\n")
    lines, end = read_lines(path, offset)
    assert [line.values for line in lines] == [{"a": 3.0}] and end == path.stat().st_size
    assert read_lines(tmp_path / "missing.jsonl") == ([], 0)


def test_atomic_write_leaves_no_temp_and_bad_json_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    atomic_write_json(path, {"x": 1})
    atomic_write_json(path, {"x": 2})
    assert read_json(path) == {"x": 2}
    assert os.listdir(tmp_path) == ["r.json"]
    path.write_text("{not json")
    with pytest.raises(StoreError, match="not valid JSON"):
        read_json(path)


@pytest.mark.parametrize("bad", ["", "A", "a_b", "-a", "a-", "a" * 64, "../x", "a/b", "a.b", 3])
def test_invalid_names_are_refused(bad: object) -> None:
    with pytest.raises(InvalidName):
        validate_name(bad, "deployment")


def test_invalid_name_suggests_a_valid_one() -> None:
    with pytest.raises(InvalidName, match="try 'my-model'"):
        validate_name("My_Model", "deployment")


@pytest.mark.parametrize("part", ["..", "../x", "/etc", "a/b", ".", "", "a\x00"])
def test_safe_join_refuses_escapes(tmp_path: Path, part: str) -> None:
    with pytest.raises(InvalidName):
        safe_join(tmp_path, part)


def test_safe_join_refuses_links_out(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    os.symlink("/", tmp_path / "root" / "out")
    with pytest.raises(InvalidName, match="outside"):
        safe_join(tmp_path / "root", "out")


def test_project_names_are_validated(tmp_path: Path) -> None:
    with pytest.raises(InvalidName):
        Store(tmp_path, "u", "../evil")


def test_deployment_store_round_trip(tmp_path: Path) -> None:
    deployments = DeploymentStore(tmp_path, "u")
    assert deployments.list() == []
    deployments.save({"name": "mnist", "url": "http://127.0.0.1:1"})
    assert deployments.get("mnist")["url"] == "http://127.0.0.1:1"
    assert [d["name"] for d in deployments.list()] == ["mnist"]
    deployments.remove("mnist")
    with pytest.raises(NotFound):
        deployments.get("mnist")
    with pytest.raises(InvalidName):
        deployments.get("../../etc/passwd")


def test_stop_requests(tmp_path: Path) -> None:
    store = Store(tmp_path, "u", "p")
    group = store.create_group(_record, "")
    assert store.stop_requests(group.id) == (False, set())
    store.request_stop(group.id, 4)
    store.request_stop(group.id)
    assert store.stop_requests(group.id) == (True, {4})
    assert json.loads(json.dumps(store.read_group(group.id).to_dict()))["id"] == group.id
