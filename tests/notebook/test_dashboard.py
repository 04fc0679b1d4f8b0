"""The dashboard widget: state transitions, actions through the worker, the pump's lifecycle."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import NotFound
from jupyter_mlpipe.widgets import Dashboard
from jupyter_mlpipe.widgets.tables import Row, experiments_html, total_steps

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def board(api: Mlpipe, make_group: Any, tmp_path: Path) -> Any:
    source = tmp_path / "project"
    source.mkdir()
    (source / "TinyModel.py").write_text(
        "class TinyModel:\n    def predict(self, X, names):\n        return X\n"
    )
    group = make_group(project_dir=str(source))
    board = Dashboard(api, group=group.id)
    yield board, group
    board.close()


def test_rows_progress_and_table() -> None:
    assert total_steps({"epochs": 4}) == 4 and total_steps({"lr": 1}) is None
    assert Row(1, "running", {"epochs": 4}, steps_done=2).progress == 0.5
    assert Row(1, "succeeded", {}).progress == 1.0 and Row(1, "queued", {}).progress is None
    html = experiments_html(
        [Row(1, "running", {"epochs": 4, "lr": 0.1}, {"loss": 0.5}, 1)], selected=1, best=1
    )
    assert "★" in html and 'title="25%"' in html and "0.5" in html and "running" in html


def test_tick_reads_the_store_into_the_widgets(board: Any) -> None:
    dashboard, group = board
    first, second = group.experiments
    group.set_status(first, "running")
    for step in range(2):
        group.log(first, step, loss=1.0 / (step + 1), accuracy=0.3 * step)
    assert dashboard.tick()  # still running: the pump goes on
    view = dashboard.view
    assert f"group {group.id}" in view.header.value and "running" in view.header.value
    assert list(view.experiment.options) == [first, second]
    assert set(view.metric.options) == {"loss", "accuracy"}
    assert 'title="50%"' in view.table.value  # 2 of 4 epochs
    view.metric.value = "loss"
    dashboard.tick()
    assert bytes(view.plot.value).startswith(PNG)
    assert dashboard.best is None  # nothing succeeded yet: no best by the objective
    group.set_status(first, "succeeded")
    dashboard.tick()
    assert dashboard.best == first and "best by loss:min" in view.header.value
    assert [opt[1] for opt in view.groups.options] == [group.id]


def test_select_best_then_a_failing_ship_show_in_the_widget(board: Any) -> None:
    dashboard, group = board
    first, second = group.experiments
    group.log(first, 0, loss=0.2)
    group.log(second, 0, loss=0.1)
    group.finish()
    dashboard.tick()
    dashboard.view.metric.value = "loss"
    dashboard.actions.select_best()  # a click: queues a job for the worker thread, returns
    _settle(dashboard)
    assert dashboard.view.experiment.value == second
    assert f"experiment {second}" in dashboard.view.status.value
    assert dashboard.view.name.value == ""  # the API names the package (project, group, exp.)
    dashboard.actions.ship()  # the experiment saved no checkpoint: packaging must refuse
    _settle(dashboard)
    assert dashboard.actions.state == "error"
    assert "ship failed" in dashboard.view.status.value
    assert "saved no files" in dashboard.view.status.value
    assert dashboard.view.ship_progress.value == 0
    [record] = dashboard.api.operations()  # the click ran the API's pipeline, recorded
    assert record.status == "failed" and record.request["experiment"] == second
    assert record.request["force"] is False and record.request["name"] is None  # API default


def test_ship_needs_a_selected_experiment(board: Any) -> None:
    dashboard, _ = board
    dashboard.actions.ship()
    dashboard.pump.stop()
    dashboard.tick()
    assert "select an experiment first" in dashboard.view.status.value


def test_pump_stops_when_the_group_finishes(board: Any) -> None:
    dashboard, group = board
    group.log(group.experiments[0], 0, loss=0.5)
    dashboard.view.metric.options = ["loss"]
    dashboard.start()
    assert dashboard.pump.running
    group.finish()
    assert dashboard.pump.join(timeout=30)
    assert dashboard.error == ""
    assert bytes(dashboard.view.plot.value).startswith(PNG)  # the final picture


def test_closing_the_widget_stops_its_threads(board: Any) -> None:
    dashboard, _ = board
    dashboard.start()
    dashboard.actions.stop()  # queues a job on the worker thread
    dashboard.close()
    assert not dashboard.pump.running
    assert dashboard.worker._thread is None or not dashboard.worker._thread.is_alive()
    dashboard.start()  # a closed dashboard never restarts
    assert not dashboard.pump.running


def _settle(dashboard: Any) -> None:
    """Wait for the worker's jobs, then apply their updates with one tick on this thread."""
    assert dashboard.worker.wait_idle(timeout=60)
    dashboard.pump.stop()
    dashboard.tick()


@pytest.mark.integration
def test_ship_and_predict_from_the_dashboard(api: Mlpipe, tiny_project: str) -> None:
    sweep = api.sweep(
        text=tiny_project, name="dash", wait=True, progress=False, objective="accuracy:max"
    )
    frame = api.experiments(sweep.group)
    assert frame["status"].tolist() == ["succeeded"] * 2, frame.to_string()
    dashboard = Dashboard(api, group=sweep.group)
    try:
        dashboard.tick()
        assert "accuracy" in dashboard.view.metric.options, (frame.to_string(), dashboard.rows)
        dashboard.view.metric.value = "accuracy"
        dashboard.actions.select_best()
        _settle(dashboard)
        best = dashboard.view.experiment.value
        assert best == api.best(sweep.group).id == api.best(sweep.group, "accuracy", "max").id
        dashboard.view.name.value = "tiny-dash"
        dashboard.actions.ship()  # no image named: package, skip the build, serve the folder
        _settle(dashboard)
        assert dashboard.actions.state == "done", dashboard.view.status.value
        assert dashboard.view.ship_progress.value == 3
        assert "deployed tiny-dash" in dashboard.view.status.value
        [operation] = api.operations()
        assert operation.status == "succeeded" and operation.request["name"] == "tiny-dash"
        assert operation.step("build").status == "skipped"
        assert list(dashboard.view.deployment.options) == ["tiny-dash"]
        assert "tiny-dash" in dashboard.view.deployments.value
        dashboard.view.deployment.value = "tiny-dash"
        dashboard.view.payload.value = "[[1.0, 2.0]]"
        dashboard.actions.predict()
        _settle(dashboard)
        assert "4.0" in dashboard.view.prediction.value  # the best lr is 2.0
    finally:
        dashboard.close()
        with contextlib.suppress(NotFound):  # not deployed when an assertion above failed
            api.undeploy("tiny-dash")


def test_choosing_another_group_follows_it(board: Any, make_group: Any) -> None:
    dashboard, first_group = board
    other = make_group([{"lr": 1.0}], name="other")
    other.log(other.experiments[0], 0, accuracy=0.9)
    dashboard.tick()
    assert {value for _, value in dashboard.view.groups.options} == {first_group.id, other.id}
    dashboard.view.groups.value = other.id  # the user picks it: queued for the pump
    dashboard.pump.stop()
    dashboard.tick()
    assert dashboard.group == other.id
    assert list(dashboard.view.experiment.options) == other.experiments
    assert list(dashboard.view.metric.options) == ["accuracy"]
    assert f"group {other.id}" in dashboard.view.header.value


def test_dropdown_follows_the_group_status_and_failures_show_their_reason(board: Any) -> None:
    import time

    from jupyter_mlpipe.store.records import ExperimentStatus

    dashboard, group = board
    first, second = group.experiments
    dashboard.tick()
    assert dict((v, k) for k, v in dashboard.view.groups.options)[group.id].endswith("running")
    now = time.time()
    group.store.write_status(
        second,
        ExperimentStatus(status="failed", started=now, finished=now, exit_code=1,
                         message="exited with code 1: ValueError: lr must be positive"),
    )  # fmt: skip
    group.finish()
    dashboard.tick()
    label = dict((v, k) for k, v in dashboard.view.groups.options)[group.id]
    assert label == f"{group.id} · synthetic · succeeded"
    assert dashboard.view.groups.value == group.id
    table = dashboard.view.table.value
    assert "<th>message</th>" in table and "ValueError: lr must be positive" in table
    assert dashboard.view.groups.layout.width == "auto"  # long names are not cut off
