"""The views computed from rows: values, edge cases, and the reasons a view cannot be drawn."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from jupyter_mlpipe.plots.views import (
    compare,
    history,
    importance,
    parallel_coordinates,
    slices,
)
from jupyter_mlpipe.store import ExperimentRow, MetricSummary, Objective
from jupyter_mlpipe.store.records import ExperimentStatus

ACC = Objective("accuracy", "max")
LOSS = Objective("loss", "min")


def row(eid: int, status: str = "succeeded", group: int = 1, **params: Any) -> ExperimentRow:
    metrics = {}
    if "acc" in params:
        acc = params.pop("acc")
        metrics["accuracy"] = MetricSummary(acc, acc, acc, None, 1)
        metrics["loss"] = MetricSummary(1 - acc, 1 - acc, 1 - acc, None, 1)
    return ExperimentRow(eid, group, "p", ExperimentStatus(status=status), params, metrics)


def grid() -> list[ExperimentRow]:
    """lr drives accuracy; the optimizer barely matters; epochs never changes."""
    rows = []
    eid = 0
    for lr in (0.01, 0.05, 0.1, 0.2, 0.4):
        for opt in ("sgd", "adam"):
            eid += 1
            acc = 1 - lr + (0.001 if opt == "adam" else 0)
            rows.append(row(eid, lr=lr, opt=opt, epochs=3, acc=acc))
    return rows


def test_importance_ranks_the_param_that_drives_the_objective() -> None:
    view = importance(1, grid(), ACC)
    assert view.drawable and view.included == 10 and view.constant == ("epochs",)
    assert list(view.importances) == ["lr", "opt"]
    assert view.importances["lr"] > 0.9 and math.isclose(sum(view.importances.values()), 1)
    data = json.loads(json.dumps(view.to_dict()))
    assert data["kind"] == "importance" and data["importances"][0]["param"] == "lr"
    assert data["objective"] == {"metric": "accuracy", "mode": "max"}


@pytest.mark.parametrize("method", ["fanova", "ped-anova"])
def test_other_optuna_evaluators_agree_on_the_leader(method: str) -> None:
    rows = [row(i, lr=i / 20, opt="sgd" if i % 2 else "adam", acc=1 - i / 20) for i in range(1, 21)]
    view = importance(1, rows, ACC, method)
    assert view.method == method and next(iter(view.importances)) == "lr"


def test_importance_with_failures_running_and_non_numeric_params() -> None:
    rows = [
        *grid(),
        row(11, "failed", lr=0.3, opt="sgd", epochs=3),
        row(12, "running", lr=0.3, opt="adam", epochs=3),
        row(13, "succeeded", lr=0.3, opt="adam", epochs=3),  # logged no accuracy
        row(14, lr=[1, 2], opt={"name": "sgd"}, epochs=3, acc=0.5),  # non-scalar params
    ]
    view = importance(1, rows, ACC)
    assert view.drawable and view.included == 11
    assert view.skipped == {"failed": 1, "still running": 1, "no accuracy": 1}
    assert "1 failed, 1 still running, 1 no accuracy left out" in view.summary()


@pytest.mark.parametrize(
    ("rows", "objective", "reason"),
    [
        ([row(1, lr=0.1, acc=0.9)], ACC, "needs 2 succeeded experiments with a finite"
         " 'accuracy', and has 1"),
        ([row(1, "running", lr=0.1), row(2, "failed", lr=0.2)], ACC,
         "and has 0 (1 still running, 1 failed)"),
        ([row(1, lr=0.1, acc=0.9), row(2, lr=0.1, acc=0.8)], ACC, "no param takes more than"),
        (grid(), None, "group 1 has no objective — give it one with `mlpipe objective 1"),
    ],
)
def test_importance_says_why_it_cannot_be_drawn(
    rows: list[ExperimentRow], objective: Objective | None, reason: str
) -> None:
    view = importance(1, rows, objective)
    assert not view.drawable and reason in view.reason
    assert view.figure() is None and view._repr_png_() is None
    assert "cannot be drawn" in (view._repr_html_() or "")
    assert view.to_dict()["reason"] == view.reason


def test_history_keeps_the_best_so_far_in_the_objective_direction() -> None:
    rows = [row(1, acc=0.5), row(2, acc=0.7), row(3, "failed"), row(4, acc=0.6), row(5, acc=0.9)]
    up = history(1, rows, ACC)
    assert up.experiments == (1, 2, 4, 5) and up.best == (0.5, 0.7, 0.7, 0.9)
    down = history(1, rows, LOSS)
    assert down.best == pytest.approx((0.5, 0.3, 0.3, 0.1))
    assert up.to_dict()["points"][2] == {"experiment": 4, "value": 0.6, "best": 0.7}
    one = history(1, [row(7, acc=0.4)], ACC)
    assert one.drawable and one.best == (0.4,)
    assert "has 0 (1 still running)" in history(1, [row(1, "running")], ACC).reason


def test_slices_numeric_and_categorical() -> None:
    view = slices(1, grid(), ACC)
    by = {s.param: s for s in view.slices}
    assert set(by) == {"epochs", "lr", "opt"}
    assert by["lr"].numeric and not by["opt"].numeric
    assert len(by["opt"].points) == 10 and by["lr"].points[0] == (1, 0.01, 0.99)
    assert slices(1, [row(1, acc=0.5)], ACC).reason == "its experiments have no params"


def test_parallel_coordinates_axes_are_the_params_that_vary() -> None:
    view = parallel_coordinates(1, grid(), ACC)
    assert [(d.param, d.numeric, d.categories) for d in view.dimensions] == [
        ("lr", True, ()),
        ("opt", False, ("adam", "sgd")),
    ]
    assert len(view.lines) == 10 and view.lines[0][2] == pytest.approx(0.99)
    single = parallel_coordinates(1, [row(1, lr=0.1, acc=0.9)], ACC)
    assert single.drawable and [d.param for d in single.dimensions] == ["lr"]


def test_every_drawable_view_draws_a_png() -> None:
    rows = grid()
    views = [
        importance(1, rows, ACC),
        history(1, rows, ACC),
        slices(1, rows, ACC),
        parallel_coordinates(1, rows, ACC),
        compare(rows[:2], {1: {"loss": [(1, 0.0, 0.5), (2, 0.0, 0.4)]}, 2: {}}),
    ]
    for view in views:
        png = view._repr_png_()
        assert png is not None and png.startswith(b"\x89PNG"), view.kind
        if view.kind != "compare":
            assert view._repr_html_() is None  # the notebook shows the picture


def test_compare_puts_differing_params_first_and_overlays_curves() -> None:
    a = row(3, lr=0.1, opt="sgd", epochs=3, acc=0.8)
    b = row(9, group=2, lr=0.2, opt="sgd", epochs=3, acc=0.9)
    points = {
        3: {"loss": [(None, 0.0, 0.9), (None, 0.0, float("nan"))]},
        9: {"loss": [(1, 0.0, 0.7)], "accuracy": [(1, 0.0, 0.9)]},
    }
    view = compare([b, a], points)
    assert view.group == 0 and view.experiments == (9, 3)  # two groups; the order given
    assert [(p.param, p.differs) for p in view.params] == [
        ("lr", True),
        ("epochs", False),
        ("opt", False),
    ]
    assert view.params[0].values == (0.2, 0.1)
    assert view.curves["loss"][3] == ((0, 0.9), (1, None))  # no step: the point's index
    assert view.last["accuracy"] == (0.9, 0.8)
    html = view._repr_html_() or ""
    assert "<b>lr</b>" in html and "data:image/png;base64," in html
    data = json.loads(json.dumps(view.to_dict(), allow_nan=False))
    assert [e["id"] for e in data["experiments"]] == [9, 3]
    assert compare([], {}).reason.startswith("no experiments to compare")
    one = compare([a], {3: points[3]})
    assert one.drawable and all(not p.differs for p in one.params)


def test_without_scikit_learn_importance_falls_back_or_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    module = importlib.import_module("jupyter_mlpipe.plots.views.importance")
    monkeypatch.setattr(module, "has_sklearn", lambda: False)
    default = importance(1, grid(), ACC)
    assert default.method == "ped-anova" and next(iter(default.importances)) == "lr"
    asked = importance(1, grid(), ACC, "mdi")
    assert asked.reason == (
        "the 'mdi' evaluator needs scikit-learn — `pip install scikit-learn`, or ask for"
        " method='ped-anova'"
    )
