"""Operation records: round trips, damaged and hostile files, interrupted owners, events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.errors import InvalidArgument, NotFound, StoreError
from jupyter_mlpipe.store.checks import check_id, check_json
from jupyter_mlpipe.store.files import atomic_write_json
from jupyter_mlpipe.store.operations import (
    OperationEvent,
    OperationRecord,
    OperationStep,
    OperationStore,
    Owner,
    new_operation_id,
)


@pytest.fixture
def ops(tmp_path: Path) -> OperationStore:
    return OperationStore(tmp_path, "alice")


def _record(op_id: str | None = None, **changes: Any) -> OperationRecord:
    base = OperationRecord(
        id=op_id or new_operation_id(),
        action="ship",
        status="running",
        created=1_700_000_000.0,
        updated=1_700_000_001.0,
        steps=(
            OperationStep("best", "succeeded", 1.0, 2.0, "experiment 3"),
            OperationStep("package"),
        ),
        request={"project": "mnist", "group": 3, "experiment": None},
        result={"best": {"experiment": 3, "metrics": {"loss": 0.25}}},
        owner=Owner.current(),
    )
    return OperationRecord(**{**base.__dict__, **changes})


def _raw(record: OperationRecord, **changes: Any) -> dict[str, Any]:
    return {**record.to_dict(), **changes}


def test_a_record_round_trips_through_its_file(ops: OperationStore) -> None:
    record = _record()
    ops.save(record)
    assert ops.path(record.id) == ops.folder / f"{record.id}.json"
    assert ops.folder == ops.folder.parent / "_operations"
    assert ops.get(record.id) == record
    assert OperationRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    assert [r.id for r in ops.list()] == [record.id]


def test_with_step_changes_one_step_only() -> None:
    record = _record().with_step("package", status="running", started=5.0)
    assert record.step("package").status == "running"
    assert record.step("best").status == "succeeded"
    with pytest.raises(KeyError):
        record.step("deploy")


def test_a_live_record_whose_owner_is_gone_reads_as_interrupted(ops: OperationStore) -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = Owner(int(child.stdout), 1.0)
    record = _record(owner=gone).with_step("package", status="running")
    ops.save(record)
    seen = ops.get(record.id)
    assert seen.status == "failed"
    assert seen.error is not None and seen.error["type"] == "Interrupted"
    assert seen.step("package").status == "failed"
    assert json.loads(ops.path(record.id).read_text())["status"] == "running"  # file untouched


def test_a_live_record_of_a_living_owner_stays_live(ops: OperationStore) -> None:
    record = _record()
    ops.save(record)
    assert ops.get(record.id).status == "running"


def test_a_finished_record_is_never_reported_interrupted(ops: OperationStore) -> None:
    record = _record(status="succeeded", owner=Owner(2**22 + 7, 1.0))
    ops.save(record)
    assert ops.get(record.id).status == "succeeded"


def test_records_of_older_versions_name_their_owner_server(ops: OperationStore) -> None:
    record = _record()
    data = _raw(record, server={"pid": 2**22 + 7, "create_time": 1.0}, action="package")
    del data["owner"]
    atomic_write_json(ops.path(record.id), data)
    assert ops.get(record.id).error == {
        "type": "Interrupted",
        "message": ops.get(record.id).error["message"],  # type: ignore[index]
    }


HOSTILE: list[tuple[str, Any]] = [
    ("not json", b"{not json"),
    ("a list", [1, 2]),
    ("huge int in the request", {"request": {"group": 10**30}}),
    ("huge int beyond 64 bits in a result", {"result": {"best": {"experiment": 2**70}}}),
    ("nan time", {"created": float("nan")}),
    ("string time", {"updated": "yesterday"}),
    ("bool as time", {"created": True}),
    ("huge time", {"created": 1e300}),
    ("unknown status", {"status": "exploded"}),
    ("unknown action", {"action": "rm -rf /"}),
    ("id of another file", {"id": "../../etc/pw"}),
    ("steps not a list", {"steps": "all"}),
    ("unknown step", {"steps": [{"name": "shell", "status": "pending"}]}),
    ("step with an int message", {"steps": [{"name": "build", "status": "pending", "message": 3}]}),
    ("error not an object", {"error": "bad"}),
    ("owner pid huge", {"owner": {"pid": 2**80, "create_time": 1.0}}),
    ("owner pid a bool", {"owner": {"pid": True, "create_time": 1.0}}),
    ("nan in a result", {"result": {"best": {"metrics": {"loss": float("nan")}}}}),
    ("too deep", {"result": {"a": json.loads("[" * 20 + "]" * 20)}}),
    ("very deep", b'{"result": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ("int with 5000 digits", b'{"request": {"group": ' + b"9" * 5000 + b"}}"),
]


@pytest.mark.parametrize("label,change", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_damaged_or_hostile_record_is_listed_as_damaged(
    ops: OperationStore, label: str, change: Any
) -> None:
    good, bad = _record(status="succeeded"), _record(status="succeeded")
    ops.save(good)
    path = ops.path(bad.id)
    if isinstance(change, bytes):
        path.write_bytes(change)
    elif isinstance(change, dict):
        path.write_text(json.dumps(_raw(bad, **change)))
    else:
        path.write_text(json.dumps(change))
    listed = {r.id: r for r in ops.list()}
    assert listed[good.id] == good
    assert listed[bad.id].status == "damaged", label
    assert listed[bad.id].error is not None and listed[bad.id].error["type"] == "DamagedRecord"
    json.dumps(listed[bad.id].to_dict(), allow_nan=False)  # still strict JSON for the browser
    assert ops.get(bad.id).status == "damaged"


def test_a_record_with_bad_values_is_never_written(ops: OperationStore) -> None:
    record = _record(request={"group": 2**60})
    with pytest.raises(StoreError, match="2\\*\\*53"):
        ops.save(record)
    assert not ops.path(record.id).exists()


@pytest.mark.parametrize("op_id", ["", "../../x", "ABCDEF012345", "0123456789a", 12, None])
def test_operation_ids_are_checked_before_they_become_paths(
    ops: OperationStore, op_id: Any
) -> None:
    with pytest.raises(InvalidArgument, match="12 hex digits"):
        ops.get(op_id)


def test_a_missing_record_is_not_found(ops: OperationStore) -> None:
    with pytest.raises(NotFound, match="no operation"):
        ops.get("0123456789ab")
    assert ops.list() == []


def test_the_list_is_newest_first_and_limited(ops: OperationStore) -> None:
    ids = []
    for k in range(3):
        record = _record(status="succeeded")
        ops.save(record)
        os.utime(ops.path(record.id), (1_000 + k, 1_000 + k))
        ids.append(record.id)
    (ops.folder / "notes.json").write_text("{}")  # not an operation file: ignored
    assert [r.id for r in ops.list()] == ids[::-1]
    assert [r.id for r in ops.list(limit=2)] == ids[:0:-1]


def test_events_append_and_read_from_an_offset(ops: OperationStore) -> None:
    op_id = new_operation_id()
    ops.append_event(op_id, OperationEvent(1.0, "package", "package…"))
    first, offset = ops.events(op_id)
    assert first == [OperationEvent(1.0, "package", "package…")]
    with open(ops.events_path(op_id), "a") as fh:
        fh.write('{"time": 2, "step": "shell", "message": "x"}\n')  # not an event: skipped
        fh.write('{"time": 3, "step": null, "message": "done"}\n{"time": 4, "st')  # torn tail
    later, offset2 = ops.events(op_id, offset)
    assert later == [OperationEvent(3.0, None, "done")]
    assert offset2 < ops.events_path(op_id).stat().st_size
    assert ops.list() == []  # an events file is not a record


@pytest.mark.parametrize(
    "value,ok",
    [
        (1, True),
        ("17", True),
        (2**53 - 1, True),
        (2**53, False),
        (0, False),
        (-1, False),
        (True, False),
        ("1e3", False),
        ("١٧", False),
        (1.0, False),
        (None, False),
    ],
)
def test_ids_are_ascii_digit_ints_below_2_53(value: Any, ok: bool) -> None:
    if ok:
        assert check_id(value, "group") == int(value)
    else:
        with pytest.raises(InvalidArgument, match="below 2\\*\\*53"):
            check_id(value, "group")


def test_check_json_accepts_plain_json_only() -> None:
    assert check_json({"a": [1, 2.5, None, True, "x"]}, "r") == {"a": [1, 2.5, None, True, "x"]}
    for bad in ({"a": float("inf")}, {1: 2}, {"a": object()}, [2**53]):
        with pytest.raises(StoreError):
            check_json(bad, "r")
