"""MetricsWriter: line format, value rules, buffering thresholds, flusher thread, close."""

from __future__ import annotations

import json
import math
import os
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from jupyter_mlpipe.errors import MlpipeError, TrackingError
from jupyter_mlpipe.tracking import MetricsWriter, encode_line


def read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    text = path.read_text()
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_line_format_is_the_store_format():
    line = encode_line(3, 1700000000.25, {"loss": 0.5, "accuracy": 1})
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == {
        "step": 3,
        "time": 1700000000.25,
        "values": {"loss": 0.5, "accuracy": 1},
    }
    assert json.loads(encode_line(None, 1.0, {"x": 1e-7}))["step"] is None


def test_numpy_and_other_scalars_become_numbers():
    line = encode_line(
        np.int64(7), 1.0, {"a": np.float32(0.5), "b": np.int32(3), "c": Decimal("0.25")}
    )
    assert json.loads(line) == {"step": 7, "time": 1.0, "values": {"a": 0.5, "b": 3.0, "c": 0.25}}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf, np.float64("nan")])
def test_non_finite_values_are_recorded_as_null(bad):
    assert json.loads(encode_line(1, 1.0, {"loss": bad}))["values"] == {"loss": None}


@pytest.mark.parametrize("bad", ["0.5", b"1", True, None, [1.0], object(), np.zeros(3)])
def test_non_numbers_are_refused_with_the_metric_name(bad):
    with pytest.raises(TrackingError, match="metric 'loss' must be a number") as info:
        encode_line(1, 1.0, {"loss": bad})
    assert isinstance(info.value, MlpipeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [1.5, "3", True])
def test_step_must_be_an_integer(bad):
    with pytest.raises(TrackingError, match="step must be an integer"):
        encode_line(bad, 1.0, {"loss": 1.0})


def test_empty_metric_name_is_refused():
    with pytest.raises(TrackingError, match="non-empty"):
        encode_line(1, 1.0, {"": 1.0})


def test_names_are_json_escaped():
    line = encode_line(1, 1.0, {'val/loss "x"\n': 2.0})
    assert json.loads(line)["values"] == {'val/loss "x"\n': 2.0}


def test_lines_stay_buffered_until_flush(tmp_path):
    path = tmp_path / "exp" / "metrics.jsonl"
    writer = MetricsWriter(path, max_bytes=1 << 20, max_delay=3600)
    for step in range(100):
        writer.log(step, {"loss": 1.0 / (step + 1)})
    assert read_lines(path) == []
    assert writer.pending > 0
    writer.flush()
    lines = read_lines(path)
    assert [line["step"] for line in lines] == list(range(100))
    assert writer.pending == 0
    writer.close()


def test_a_bad_value_buffers_nothing(tmp_path):
    writer = MetricsWriter(tmp_path / "m.jsonl", max_delay=3600)
    with pytest.raises(TrackingError):
        writer.log(1, {"loss": 0.1, "oops": "x"})
    assert writer.pending == 0
    writer.close()
    assert read_lines(tmp_path / "m.jsonl") == []


def test_size_threshold_writes_whole_lines(tmp_path):
    path = tmp_path / "m.jsonl"
    writer = MetricsWriter(path, max_bytes=4096, max_delay=3600)
    for step in range(1000):
        writer.log(step, {"loss": 0.123456789, "accuracy": 0.987654321})
    # Written by the logging calls themselves: every write-out ends on a line boundary.
    written = read_lines(path)
    assert 0 < len(written) < 1000
    assert [line["step"] for line in written] == list(range(len(written)))
    writer.close()
    assert [line["step"] for line in read_lines(path)] == list(range(1000))


def test_flusher_thread_writes_a_lone_line_without_further_calls(tmp_path):
    path = tmp_path / "m.jsonl"
    writer = MetricsWriter(path, max_delay=0.05)
    writer.log(1, {"loss": 0.5})
    deadline = time.monotonic() + 30  # generous: this waits for an event, it times nothing
    while not read_lines(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [line["step"] for line in read_lines(path)] == [1]
    writer.log(2, {"loss": 0.4})  # the thread sleeps while idle and wakes for new lines
    while len(read_lines(path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [line["step"] for line in read_lines(path)] == [1, 2]
    writer.close()


def test_after_close_lines_are_written_straight_through(tmp_path):
    path = tmp_path / "m.jsonl"
    writer = MetricsWriter(path, max_delay=3600)
    writer.log(1, {"loss": 0.5})
    writer.close()
    assert len(read_lines(path)) == 1
    writer.log(2, {"loss": 0.4})
    assert [line["step"] for line in read_lines(path)] == [1, 2]


def test_appends_to_an_existing_file(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 0, "time": 1.0, "values": {"loss": 1.0}}\n')
    writer = MetricsWriter(path)
    writer.log(1, {"loss": 0.5})
    writer.close()
    assert [line["step"] for line in read_lines(path)] == [0, 1]


def test_unwritable_path_raises_tracking_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    writer = MetricsWriter(blocker / "m.jsonl", max_delay=3600)
    writer.log(1, {"loss": 0.5})
    with pytest.raises(TrackingError, match="could not append"):
        writer.flush()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_close_releases_the_file_descriptor(tmp_path):
    path = tmp_path / "m.jsonl"
    writer = MetricsWriter(path, max_delay=3600)
    writer.log(1, {"loss": 0.5})
    writer.flush()
    assert str(path) in {
        os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
    }
    writer.close()
    assert str(path) not in {
        os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
    }


def test_torch_scalars_including_a_loss_that_needs_grad():
    torch = pytest.importorskip("torch")
    loss = torch.tensor(0.5, requires_grad=True) * 2  # logged without .item(): no warning
    line = encode_line(torch.tensor(3), 1.0, {"loss": loss, "acc": torch.tensor([0.25])})
    assert json.loads(line) == {"step": 3, "time": 1.0, "values": {"loss": 1.0, "acc": 0.25}}
    with pytest.raises(TrackingError, match="metric 'x' must be a number"):
        encode_line(1, 1.0, {"x": torch.ones(3)})
