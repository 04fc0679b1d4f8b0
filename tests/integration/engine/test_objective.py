"""The objective belongs to the group: from the spec, or given at submit; best follows it."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import InvalidArgument

HEAD = """
version: 1
kind: group
name: labelled
tags: [a, b]
framework: pytorch
hptuning:
  concurrency: 2
  matrix:
    x: {values: [1, 2, 3]}
"""
RUN = """
run:
  cmd: python trial.py
"""


def _sweep(api: Mlpipe, write_spec: Any, project: Any, extra: str = "", **kw: Any) -> int:
    path = write_spec(project, HEAD + extra + RUN)
    return int(api.sweep(path, wait=True, progress=False, **kw).group)


def test_objective_from_the_single_early_stopping_metric(
    api: Mlpipe, write_spec: Any, project: Any
) -> None:
    extra = "  early_stopping:\n    - {metric: loss, value: -1, optimization: minimize}\n"
    gid = _sweep(api, write_spec, project, extra)
    info = api.group(gid)
    assert str(info.objective) == "loss:min" and info.best is not None
    assert api.best(gid).params["x"] == 1  # loss = x / step: the smallest x wins
    assert info.metadata == {"name": "labelled", "tags": ["a", "b"], "framework": "pytorch"}


def test_submit_objective_wins_and_best_needs_a_direction_without_one(
    api: Mlpipe, write_spec: Any, project: Any
) -> None:
    gid = _sweep(api, write_spec, project, objective="loss:max")
    assert str(api.objective(gid)) == "loss:max"
    assert api.best(gid).params["x"] == 3
    assert api.best(gid, "loss", "min").params["x"] == 1
    with pytest.raises(InvalidArgument, match="--mode"):
        api.best(gid, "accuracy")  # another metric: its direction must be said
    plain = _sweep(api, write_spec, project)
    assert api.objective(plain) is None
    with pytest.raises(InvalidArgument, match="no objective"):
        api.best(plain)
    api.set_objective(plain, "accuracy:max")
    assert api.best(plain).id == min(api.experiments(plain).index)  # all tie: the lower id
    with pytest.raises(InvalidArgument, match="METRIC:min or METRIC:max"):
        api.sweep(text=HEAD + RUN, objective="accuracy")
