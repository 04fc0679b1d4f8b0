"""The five views through the API, on a store the test writes (a running group, failures)."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import InvalidArgument, NotFound


def test_views_of_a_running_group_with_a_failure(api: Mlpipe, make_group: Any) -> None:
    params = [{"lr": lr, "opt": opt} for lr in (0.1, 0.2, 0.3) for opt in ("sgd", "adam")]
    group = make_group(params)
    done, failed, running = group.experiments[:4], group.experiments[4], group.experiments[5]
    for i, eid in enumerate(done):
        for step in range(3):
            group.log(eid, step, loss=params[i]["lr"] + 1 / (step + 1))
        group.set_status(eid, "succeeded")
    group.set_status(failed, "failed")
    group.set_status(running, "running")
    group.log(running, 0, loss=0.01)  # partial: not a result yet

    imp = api.importance(group.id)
    assert imp.drawable and imp.included == 4
    assert imp.skipped == {"failed": 1, "still running": 1}
    hist = api.history(group.id)
    assert hist.experiments == tuple(done) and hist.best[-1] == pytest.approx(0.1 + 1 / 3)
    assert [d.param for d in api.parallel_coordinates(group.id).dimensions] == ["lr", "opt"]
    assert {s.param for s in api.slices(group.id).slices} == {"lr", "opt"}
    other = api.history(group.id, objective="loss:max")
    assert other.objective is not None and other.objective.mode == "max"
    handle = api.handle(group.id)
    assert handle.importance().to_dict() == imp.to_dict()
    assert handle.history().to_dict() == hist.to_dict()
    assert api.group_view(group.id, "parallel").kind == "parallel"
    with pytest.raises(InvalidArgument, match="view must be one of importance, history"):
        api.group_view(group.id, "scatter")
    with pytest.raises(InvalidArgument, match="method must be one of mdi, fanova, ped-anova"):
        api.importance(group.id, method="shap")

    both = api.compare([done[0], running])
    assert both.experiments == (done[0], running)
    assert both.curves["loss"][running] == ((0, 0.01),)
    assert len(both.curves["loss"][done[0]]) == 3
    with pytest.raises(NotFound):
        api.compare([99999])
    with pytest.raises(InvalidArgument, match="each experiment once"):
        api.compare([done[0], done[0]])


def test_a_group_without_objective_says_so(api: Mlpipe, make_group: Any) -> None:
    group = make_group(objective=None)
    group.finish()
    for view in (api.importance, api.history, api.parallel_coordinates, api.slices):
        assert f"group {group.id} has no objective" in view(group.id).reason


def test_show_displays_the_picture_or_the_reason(
    shell: Any, api: Mlpipe, make_group: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    group = make_group()
    group.log(group.experiments[0], 1, loss=0.3)
    group.finish()
    shell.user_ns["api"] = api
    result = shell.run_cell(f"api.importance({group.id})")
    formatted = shell.display_formatter.format(result.result)[0]
    assert "text/html" in formatted and "cannot be drawn" in formatted["text/html"]
    result = shell.run_cell(f"api.history({group.id})")
    formatted = shell.display_formatter.format(result.result)[0]
    assert formatted["image/png"] and "text/html" not in formatted
