"""Adaptive searches through the whole engine: bo asks as results arrive, hyperband prunes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe

pytestmark = pytest.mark.integration


def test_bo_runs_initial_then_guided_trials(api: Mlpipe, write_spec: Any, project: Path) -> None:
    spec = """
    version: 1
    kind: group
    hptuning:
      seed: 3
      concurrency: 2
      bo:
        n_initial_trials: 2
        n_iterations: 2
        metric: {name: loss, optimization: minimize}
      matrix:
        x: {uniform: 0.5:4}
    run:
      cmd: python trial.py
    """
    sweep = api.sweep(write_spec(project, spec), wait=True, progress=False)
    frame = api.experiments(sweep.group)
    assert sweep.status() == "succeeded", sweep.record().message
    assert len(frame) == 4 and set(frame["status"]) == {"succeeded"}
    assert all(0.5 <= x < 4 for x in frame["x"])


def test_hyperband_gives_the_resource_and_finishes(api: Mlpipe, write_spec: Any,
                                                   project: Path) -> None:
    spec = """
    version: 1
    kind: group
    hptuning:
      seed: 1
      concurrency: 3
      hyperband:
        max_iter: 3
        eta: 3
        resource: {name: steps, type: int}
        metric: {name: loss, optimization: minimize}
        mode: pruner
      matrix:
        x: {values: [1, 2, 3, 4, 5]}
    declarations:
      pause: 0.2
    run:
      cmd: python trial.py
    """
    sweep = api.sweep(write_spec(project, spec), wait=True, progress=False)
    frame = api.experiments(sweep.group, columns="all")
    assert len(frame) == sweep.record().planned == 5
    assert set(frame["steps"]) == {3}
    assert set(frame["status"]) <= {"succeeded", "stopped"}
    reasons = {api._store().read_status(int(e)).reason for e in frame.index}
    assert reasons <= {"", "pruned"}


def test_early_stopping_stops_scheduling(api: Mlpipe, write_spec: Any, project: Path) -> None:
    spec = """
    version: 1
    kind: group
    hptuning:
      concurrency: 1
      early_stopping:
        - {metric: accuracy, value: 0.3, optimization: maximize}
      matrix:
        x: {values: [1, 2, 3, 4]}
    run:
      cmd: python trial.py
    """
    sweep = api.sweep(write_spec(project, spec), wait=True, progress=False)
    assert sweep.status() == "succeeded"
    assert "early stopping" in sweep.record().message
    assert len(api.experiments(sweep.group)) == 1
