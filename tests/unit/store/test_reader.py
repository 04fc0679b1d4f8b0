"""The read model: what hostile records read as, incremental refresh, counts, best, objective."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import InvalidArgument
from jupyter_mlpipe.store import (
    ExperimentStatus,
    GroupReader,
    Objective,
    Readers,
    Store,
    best_row,
    count_states,
)
from jupyter_mlpipe.store.files import append_jsonl
from jupyter_mlpipe.store.metrics import parse_line
from jupyter_mlpipe.store.reader import read_events, read_status
from tests.fixtures.hostile import EXPECTED_METRICS, expected_rows, write_hostile_group


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Store, int]:
    return write_hostile_group(tmp_path)


def test_hostile_metrics_read_as_documented(hostile: tuple[Store, int]) -> None:
    store, gid = hostile
    rows = GroupReader(store.group_dir(gid), store.project).rows()
    first = rows[0]
    assert {name: s.to_dict() for name, s in first.metrics.items()} == EXPECTED_METRICS
    assert list(first.metrics) == ["loss", "acc"]  # order of first appearance; no "ok"/"note"
    assert first.last("loss") == 0.25 and first.last("acc") is None
    assert math.isnan(first.metrics["acc"].last)


def test_damaged_records_are_rows_that_say_so(hostile: tuple[Store, int]) -> None:
    store, gid = hostile
    rows = GroupReader(store.group_dir(gid), store.project).rows()
    facts = [
        {
            "id": r.id,
            "status": r.status,
            "params": dict(r.params),
            "loss": r.last("loss"),
            "acc": r.last("acc"),
        }
        for r in rows
    ]
    assert facts == expected_rows(store, gid)
    assert "status.json is unreadable" in rows[1].damaged and rows[1].state.message
    assert "params.json holds list" in rows[3].damaged
    assert rows[0].damaged == "" and rows[2].damaged == ""
    assert all(r.to_dict()["project"] == "hostile" for r in rows)


@pytest.mark.parametrize(
    "raw",
    [
        b"[1, 2]",
        b'{"status": "exploded"}',
        b'{"status": "running", "started": "yesterday"}',
        b'{"status": "running", "attempt": true}',
        b'{"status": "failed", "exit_code": 100000000000000000000000000}',
        b'{"status": "failed", "message": {"a": 1}}',
        b"[" * 100_000,
        b"\xff\xfe",
    ],
)
def test_every_unreadable_status_record_reads_as_unknown(tmp_path: Path, raw: bytes) -> None:
    (tmp_path / "status.json").write_bytes(raw)
    state = read_status(tmp_path)
    assert state.status == "unknown" and "status.json" in state.message
    assert not state.is_final


def test_missing_status_record_reads_as_queued(tmp_path: Path) -> None:
    assert read_status(tmp_path) == ExperimentStatus()


def test_metric_line_values() -> None:
    line = parse_line(b'{"step": -1, "time": true, "values": {"a": 1, "b": 1e400, "c": [1]}}')
    assert line is not None and line.step is None and math.isnan(line.time)
    assert line.values["a"] == 1.0 and math.isnan(line.values["b"]) and "c" not in line.values
    assert parse_line(b'{"values": {"only": "text"}}') is None
    assert parse_line(b'{"values": {"big": 123456789012345678901234567890}}') is not None
    assert parse_line(b"[" * 50_000 + b"]" * 50_000) is None


def test_rows_are_reused_until_their_files_change(tmp_path: Path) -> None:
    store, gid = write_hostile_group(tmp_path)
    reader = GroupReader(store.group_dir(gid), store.project)
    before = reader.rows()
    again = reader.rows()
    assert all(a is b for a, b in zip(before, again, strict=True))  # nothing re-read
    e3 = before[2].id
    append_jsonl(store.metrics_path(e3), {"step": 2, "values": {"loss": 0.05}})
    store.write_status(e3, ExperimentStatus(status="failed", exit_code=1, message="boom"))
    after = reader.rows()
    assert after[0] is before[0] and after[2] is not before[2]
    assert after[2].last("loss") == 0.05 and after[2].status == "failed"
    assert after[2].state.message == "boom"


def test_new_experiments_and_counts(tmp_path: Path) -> None:
    store, gid = write_hostile_group(tmp_path)
    reader = GroupReader(store.group_dir(gid), store.project)
    assert reader.counts()["succeeded"] == 3 and reader.counts()["unknown"] == 1
    (eid,) = store.create_experiments(gid, [{"lr": 9}])
    assert [r.id for r in reader.rows()][-1] == eid
    assert reader.counts()["queued"] == 1
    assert count_states(["succeeded", "weird"]) == {
        "queued": 0,
        "running": 0,
        "succeeded": 1,
        "failed": 0,
        "stopped": 0,
        "timed-out": 0,
        "unknown": 1,
    }


def test_best_follows_the_objective_and_never_picks_a_missing_value(tmp_path: Path) -> None:
    store, gid = write_hostile_group(tmp_path)
    rows = GroupReader(store.group_dir(gid), store.project).rows()
    ids = [r.id for r in rows]
    # experiment 2 logged the lowest loss but its status is unknown: it never wins
    assert best_row(rows, Objective("loss", "min")).id == ids[2]  # type: ignore[union-attr]
    assert best_row(rows, Objective("loss", "max")).id == ids[0]  # type: ignore[union-attr]
    assert best_row(rows, Objective("acc", "max")) is None  # every last acc is missing


def test_best_ties_go_to_the_lower_id(tmp_path: Path) -> None:
    store, gid = write_hostile_group(tmp_path)
    _, _, e3, e4 = store.experiment_ids(gid)
    append_jsonl(store.metrics_path(e4), {"step": 9, "values": {"loss": 0.1}})  # e3's last too
    rows = GroupReader(store.group_dir(gid), store.project).rows()
    assert best_row(rows, Objective("loss", "min")).id == e3  # type: ignore[union-attr]
    assert best_row(rows[::-1], Objective("loss", "min")).id == e3  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text, expected",
    [("accuracy:max", ("accuracy", "max")), ("val:loss:MIN", ("val:loss", "min"))],
)
def test_objective_parse(text: str, expected: tuple[str, str]) -> None:
    objective = Objective.parse(text)
    assert (objective.metric, objective.mode) == expected
    assert Objective.from_dict(objective.to_dict()) == objective


@pytest.mark.parametrize("text", ["accuracy", "accuracy:up", ":max", ""])
def test_objective_parse_refuses_what_has_no_direction(text: str) -> None:
    with pytest.raises(InvalidArgument, match="min"):
        Objective.parse(text)


def test_events_survive_torn_and_foreign_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"event": "a"}\n[1]\nnot json\n{"event": "b"}\n{"event": "c"')
    assert [e["event"] for e in read_events(path)] == ["a", "b"]


def test_readers_keep_one_reader_per_group_and_drop_the_oldest(tmp_path: Path) -> None:
    readers = Readers(size=2)
    a = readers.get(tmp_path / "1", "p")
    assert readers.get(tmp_path / "1", "p") is a
    readers.get(tmp_path / "2", "p")
    readers.get(tmp_path / "3", "p")
    assert readers.get(tmp_path / "1", "p") is not a


def test_an_idle_refresh_reads_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, gid = write_hostile_group(tmp_path)
    reader = GroupReader(store.group_dir(gid), store.project)
    reader.rows()
    opened: list[str] = []
    real_open = open

    def spy(path: object, *args: object, **kwargs: object) -> object:
        opened.append(os.fspath(path))  # type: ignore[arg-type]
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", spy)
    reader.rows()
    reader.counts()
    assert opened == []


def test_the_trial_side_writes_the_file_the_read_model_reads() -> None:
    from jupyter_mlpipe import tracking
    from jupyter_mlpipe.store.reader import METRICS

    # the tracking helper is standard-library only, so it cannot import the name: keep them equal
    assert tracking.METRICS_FILE == METRICS


def test_a_status_read_by_statuses_still_reaches_the_rows(tmp_path: Path) -> None:
    store, gid = write_hostile_group(tmp_path)
    reader = GroupReader(store.group_dir(gid), store.project)
    e3 = reader.rows()[2].id
    store.write_status(e3, ExperimentStatus(status="failed", exit_code=3))
    assert reader.statuses()[e3].status == "failed"  # a cheap poll reads the new record first
    assert reader.rows()[2].status == "failed"  # and the rows still show it
