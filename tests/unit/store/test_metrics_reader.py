"""MetricsReader: offsets, torn lines, new experiments, cursor round trip; summarise."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import StoreError
from jupyter_mlpipe.store.metrics import (
    MetricsReader,
    MetricSummary,
    decode_cursor,
    encode_cursor,
    summarise,
)
from jupyter_mlpipe.tracking import encode_line


def append(group: Path, eid: int, step: int | None, **values: float | None) -> None:
    folder = group / str(eid)
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"step": step, "time": 1000.0 + (step or 0), "values": values}) + "\n"
    with open(folder / "metrics.jsonl", "a") as fh:
        fh.write(line)


@pytest.fixture
def group(tmp_path: Path) -> Path:
    folder = tmp_path / "groups" / "3"
    folder.mkdir(parents=True)
    (folder / "group.json").write_text("{}")
    (folder / "events.jsonl").write_text('{"event": "submitted"}\n')
    return folder


def test_reads_points_per_experiment_and_metric(group):
    append(group, 30, 1, loss=0.5, accuracy=0.8)
    append(group, 30, 2, loss=0.25, accuracy=0.9)
    append(group, 31, 1, loss=0.7)
    batch = MetricsReader(group).read()
    assert batch.points == {
        30: {
            "loss": [(1, 1001.0, 0.5), (2, 1002.0, 0.25)],
            "accuracy": [(1, 1001.0, 0.8), (2, 1002.0, 0.9)],
        },
        31: {"loss": [(1, 1001.0, 0.7)]},
    }
    assert batch.reset == frozenset()
    assert not batch.empty


def test_second_read_returns_only_new_points(group):
    append(group, 30, 1, loss=0.5)
    reader = MetricsReader(group)
    reader.read()
    assert reader.read().empty
    append(group, 30, 2, loss=0.4)
    assert reader.read().points == {30: {"loss": [(2, 1002.0, 0.4)]}}
    assert reader.read().empty


def test_torn_last_line_is_left_for_the_next_read(group):
    append(group, 30, 1, loss=0.5)
    path = group / "30" / "metrics.jsonl"
    whole = encode_line(2, 1002.0, {"loss": 0.4})
    with open(path, "a") as fh:
        fh.write(whole[:17])  # the writer is caught mid-append
    reader = MetricsReader(group)
    assert reader.read().points == {30: {"loss": [(1, 1001.0, 0.5)]}}
    assert reader.offsets[30] == len(path.read_bytes()) - 17
    assert reader.read().empty
    with open(path, "a") as fh:
        fh.write(whole[17:])
    assert reader.read().points == {30: {"loss": [(2, 1002.0, 0.4)]}}


def test_a_file_holding_only_a_torn_line_reads_as_nothing(group):
    (group / "30").mkdir()
    (group / "30" / "metrics.jsonl").write_text('{"step": 1, "ti')
    reader = MetricsReader(group)
    assert reader.read().empty
    assert reader.offsets.get(30, 0) == 0


def test_new_experiments_appear(group):
    reader = MetricsReader(group)
    assert reader.read().empty
    (group / "32").mkdir()  # folder before its first metric: nothing yet, no error
    assert reader.read().empty
    append(group, 32, 1, loss=1.0)
    append(group, 33, None, loss=2.0)
    assert reader.read().points == {
        32: {"loss": [(1, 1001.0, 1.0)]},
        33: {"loss": [(None, 1000.0, 2.0)]},
    }


def test_cursor_round_trip_continues_where_it_ended(group):
    append(group, 30, 1, loss=0.5)
    append(group, 31, 1, loss=0.6)
    first = MetricsReader(group).read()
    assert decode_cursor(first.cursor) == {
        30: (group / "30" / "metrics.jsonl").stat().st_size,
        31: (group / "31" / "metrics.jsonl").stat().st_size,
    }
    assert MetricsReader(group, cursor=first.cursor).read().empty
    append(group, 31, 2, loss=0.3)
    second = MetricsReader(group, cursor=first.cursor).read()
    assert second.points == {31: {"loss": [(2, 1002.0, 0.3)]}}
    assert MetricsReader(group, cursor=second.cursor).read().empty
    assert isinstance(first.cursor, str) and first.cursor.isascii()
    json.dumps(second.to_dict())  # the REST answer is plain JSON


@pytest.mark.parametrize("offsets", [{}, {1: 0}, {10: 123456, 11: 7}])
def test_cursor_encoding_round_trips(offsets):
    assert decode_cursor(encode_cursor(offsets)) == offsets


@pytest.mark.parametrize("bad", ["%%%", "bm90IGpzb24", encode_cursor({1: 2})[:-3] + "!!", "WzFd"])
def test_foreign_cursors_are_refused(bad):
    with pytest.raises(StoreError, match="omit"):
        MetricsReader("/nonexistent", cursor=bad)


def test_shrunk_file_is_read_again_and_reported(group):
    append(group, 30, 1, loss=0.5)
    append(group, 30, 2, loss=0.4)
    reader = MetricsReader(group)
    reader.read()
    (group / "30" / "metrics.jsonl").unlink()  # a retry starts the experiment over
    append(group, 30, 1, loss=0.9)
    batch = reader.read()
    assert batch.reset == frozenset({30})
    assert batch.points == {30: {"loss": [(1, 1001.0, 0.9)]}}


def test_null_values_read_as_nan_and_junk_is_skipped(group):
    append(group, 30, 1, loss=None, accuracy=0.5)
    path = group / "30" / "metrics.jsonl"
    with open(path, "a") as fh:
        fh.write("not json\n\n[1, 2]\n")
        fh.write('{"step": 2, "time": 5, "values": {"loss": "high", "ok": true, "n": NaN}}\n')
        fh.write('{"step": "x", "time": 6, "values": {"loss": 0.1}}\n')
    points = MetricsReader(group).read().points[30]
    assert math.isnan(points["loss"][0][2])
    assert points["accuracy"] == [(1, 1001.0, 0.5)]
    assert math.isnan(points["n"][0][2])
    assert points["loss"][1] == (None, 6.0, 0.1)
    assert "ok" not in points


def test_missing_group_folder_reads_as_empty(tmp_path):
    assert MetricsReader(tmp_path / "nope").read().empty


def test_only_selected_experiments(group):
    append(group, 30, 1, loss=0.5)
    append(group, 31, 1, loss=0.6)
    assert set(MetricsReader(group, experiments=[31]).read().points) == {31}


def test_reads_what_the_tracking_writer_writes(group):
    from jupyter_mlpipe.tracking import MetricsWriter

    writer = MetricsWriter(group / "40" / "metrics.jsonl", max_delay=3600)
    for step in range(1, 4):
        writer.log(step, {"loss": 1.0 / step, "accuracy": float("nan") if step == 2 else 0.5})
    writer.close()
    points = MetricsReader(group).read().points[40]
    assert [(s, v) for s, _, v in points["loss"]] == [(1, 1.0), (2, 0.5), (3, 1.0 / 3)]
    assert math.isnan(points["accuracy"][1][2])


def test_summarise_last_min_max_ignoring_nan():
    summary = summarise(
        {
            "loss": [(1, 1.0, 0.9), (2, 2.0, math.nan), (3, 3.0, 0.4), (4, 4.0, 0.6)],
            "accuracy": [(None, 1.0, math.nan)],
        }
    )
    assert summary["loss"] == MetricSummary(last=0.6, min=0.4, max=0.9, step=4, count=4)
    acc = summary["accuracy"]
    assert math.isnan(acc.last) and math.isnan(acc.min) and math.isnan(acc.max)
    assert acc.count == 1 and acc.step is None


def test_summarise_folds_new_points_into_previous():
    first = summarise({"loss": [(1, 1.0, 0.9), (2, 2.0, 0.5)]})
    both = summarise({"loss": [(3, 3.0, 0.7)], "acc": [(3, 3.0, 0.1)]}, previous=first)
    assert both["loss"] == MetricSummary(last=0.7, min=0.5, max=0.9, step=3, count=3)
    assert both["acc"].count == 1
    assert MetricSummary.from_dict(both["loss"].to_dict()) == both["loss"]
    assert summarise({}, previous=first) == first


def test_replaced_file_is_read_from_the_start_even_when_larger(group):
    append(group, 30, 1, loss=0.5)
    reader = MetricsReader(group)
    reader.read()
    cursor = reader.cursor
    replacement = group / "30" / "metrics.new"
    replacement.write_text(
        "".join(encode_line(s, 1000.0 + s, {"loss": s / 10}) for s in range(1, 4))
    )
    replacement.replace(group / "30" / "metrics.jsonl")  # a new inode, larger than the offset
    for fresh in (reader, MetricsReader(group, cursor=cursor)):  # long-lived and stateless
        batch = fresh.read()
        assert batch.reset == frozenset({30})
        assert [step for step, _, _ in batch.points[30]["loss"]] == [1, 2, 3]


def test_cursors_from_offsets_only_are_accepted(group):
    append(group, 30, 1, loss=0.5)
    size = (group / "30" / "metrics.jsonl").stat().st_size
    assert MetricsReader(group, cursor=encode_cursor({30: size})).read().empty


def test_pages_cover_every_line_once_and_say_when_there_is_more(group):
    for step in range(300):
        append(group, 1, step, loss=float(step))
    append(group, 2, 0, loss=-1.0)
    seen: list[float] = []
    cursor, pages = None, 0
    while True:
        batch = MetricsReader(group, cursor=cursor, max_bytes=2_000).read()
        pages += 1
        seen.extend(v for eid in sorted(batch.points) for _, _, v in batch.points[eid]["loss"])
        cursor = batch.cursor
        if not batch.more:
            break
    assert pages > 5
    assert sorted(seen) == sorted([float(s) for s in range(300)] + [-1.0])


def test_a_line_longer_than_a_page_still_moves_on(group):
    append(group, 1, 0, loss=1.0, **{f"m{i}": float(i) for i in range(200)})
    append(group, 1, 1, loss=2.0)
    first = MetricsReader(group, max_bytes=64).read()
    assert [p[2] for p in first.points[1]["loss"]] == [1.0] and first.more
    second = MetricsReader(group, cursor=first.cursor, max_bytes=64).read()
    assert [p[2] for p in second.points[1]["loss"]] == [2.0] and not second.more


def test_decimation_keeps_the_shape():
    from jupyter_mlpipe.store.metrics import decimate_points

    points = [(i, 0.0, math.sin(i / 50.0) + (5.0 if i == 777 else 0.0)) for i in range(10_000)]
    kept = decimate_points(points, 100)
    assert len(kept) <= 104 and kept[0] == points[0] and kept[-1] == points[-1]
    assert max(p[2] for p in kept) == max(p[2] for p in points)  # the spike survives
    assert min(p[2] for p in kept) == min(p[2] for p in points)
    assert [p[0] for p in kept] == sorted(p[0] for p in kept)
    assert decimate_points(points[:50], 100) == points[:50]
