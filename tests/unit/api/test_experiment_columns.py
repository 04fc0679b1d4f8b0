"""`experiments` shows what a person compares by default, everything on request."""

from __future__ import annotations

import math

import pytest

from jupyter_mlpipe.api.tables import experiments_frame
from jupyter_mlpipe.errors import InvalidArgument
from jupyter_mlpipe.store import ExperimentRow, MetricSummary, Objective
from jupyter_mlpipe.store.records import ExperimentStatus


def _row(
    eid: int, lr: float, acc: float, status: str = "succeeded", msg: str = ""
) -> ExperimentRow:
    state = ExperimentStatus(status=status, started=100.0, finished=112.0, attempt=1, message=msg)
    metrics = {
        "loss": MetricSummary(1 - acc, 0.1, 2.0, 3, 4),
        "accuracy": MetricSummary(acc, 0.5, acc, 3, 4),
    }
    params = {"batch_size": 64, "lr": lr, "seed": 1}
    return ExperimentRow(eid, 1, "p", state, params, metrics, path=f"/o/{eid}")


ROWS = [_row(1, 0.1, 0.9), _row(2, 0.01, 0.95), _row(3, 0.5, math.nan, "failed", "exit code 1")]


def test_compare_shows_varying_params_the_objective_first_then_status() -> None:
    frame = experiments_frame(ROWS, columns="compare", objective=Objective("accuracy", "max"))
    assert list(frame.columns) == ["lr", "accuracy", "loss", "status", "duration", "message"]
    assert frame.loc[3, "message"] == "exit code 1"


def test_compare_leaves_out_the_message_column_when_nothing_failed() -> None:
    frame = experiments_frame(ROWS[:2], columns="compare")
    assert "message" not in frame.columns and "batch_size" not in frame.columns


def test_all_keeps_every_column() -> None:
    frame = experiments_frame(ROWS, columns="all")
    for column in ("batch_size", "seed", "attempt", "started", "accuracy.min", "loss.max"):
        assert column in frame.columns


def test_an_unknown_column_set_says_which_exist() -> None:
    with pytest.raises(InvalidArgument, match="'compare' or 'all'"):
        experiments_frame(ROWS, columns="some")
