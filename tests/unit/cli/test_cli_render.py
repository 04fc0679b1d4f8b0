"""Terminal output: tables that fit the width, JSON for scripts, records as cards."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pandas as pd
import pytest

from jupyter_mlpipe.api import DeploymentInfo, Prediction
from jupyter_mlpipe.cli.commands import Said
from jupyter_mlpipe.cli.render import as_data, render
from jupyter_mlpipe.cli.tables import frame_text


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _wide_frame() -> Any:
    rows = [
        {
            "id": i,
            "lr": 0.001 * i,
            "momentum": 0.5 + i / 100,
            "accuracy": 0.9 + i / 1000,
            "loss": 0.3 - i / 100,
            "status": "succeeded" if i % 2 else "failed",
            "duration": 12.5 * i,
            "started": pd.Timestamp(1_700_000_000 + i, unit="s", tz="UTC"),
            "message": "exit code 1: ValueError: the learning rate is far too large"
            if i % 2 == 0
            else "",
        }
        for i in range(1, 5)
    ]
    return pd.DataFrame(rows).set_index("id")


@pytest.mark.parametrize("width", [60, 80, 100])
def test_a_table_fits_the_terminal_and_names_what_it_left_out(width: int, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    text = frame_text(_wide_frame(), _Tty())
    *table, note = text.splitlines()
    assert max(map(len, table)) <= width, text
    assert "status" in table[0]  # never the first to go
    assert note.startswith("(") and "--wide shows them" in note and len(note) <= width
    assert "started" in note  # the expendable ones go first


def test_wide_keeps_every_column(monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    text = frame_text(_wide_frame(), _Tty(), wide=True)
    assert "far too large" in text and "--wide" not in text


def test_a_pipe_gets_every_column(monkeypatch: Any) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    text = frame_text(_wide_frame(), io.StringIO())
    assert "the learning rate is far too large" in text


def test_json_is_strict_and_carries_the_record() -> None:
    out = io.StringIO()
    frame = _wide_frame()
    frame.loc[1, "loss"] = math.nan
    render(frame, out, fmt="json")
    rows = json.loads(out.getvalue())
    assert rows[0]["id"] == 1 and rows[0]["loss"] is None
    assert as_data(Said("group 1 optimises loss:min", {"group": 1})) == {"group": 1}
    assert as_data("done") == {"message": "done"}
    assert as_data({"x": math.inf}) == {"x": None}


def _deployment() -> DeploymentInfo:
    return DeploymentInfo.from_record(
        {"name": "mnist", "backend": "local", "health": "healthy", "url": "http://127.0.0.1:9",
         "folder": "/d/mnist", "created": 1_700_000_000.0}
    )  # fmt: skip


def test_records_read_as_cards_with_the_next_command() -> None:
    out = io.StringIO()
    render(_deployment(), out)
    text = out.getvalue()
    assert text.startswith("deployment mnist: healthy")
    assert "answers at  http://127.0.0.1:9" in text
    assert "mlpipe predict mnist INPUT" in text
    assert "1700000000" not in text  # a human time, not an epoch float
    html = _deployment()._repr_html_()
    assert "%mlpipe predict mnist INPUT" in html and "healthy" in html


def test_a_prediction_reads_as_the_class_and_top_probabilities() -> None:
    pred = Prediction({}, ["t:0", "t:1", "t:2"], [[0.1, 0.7, 0.2]])
    out = io.StringIO()
    render(pred, out)
    assert out.getvalue().splitlines()[:2] == ["prediction: t:1", "       t:1  0.7000"]
    out = io.StringIO()
    render(pred, out, fmt="json")
    assert json.loads(out.getvalue())["label"] == "t:1"
