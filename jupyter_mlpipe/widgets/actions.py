"""What the dashboard's buttons do: jobs for the worker, updates for the pump.

Each action reads what it needs from the widgets on the kernel's thread (reading is safe), then
queues a job. A job calls the API, and returns a callable that writes the outcome into the
widgets — run later by the pump. Errors are caught in the job and shown in the widget: a failed
build says why in the status line instead of raising into the kernel.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..api import validate_name
from .pump import Apply, describe
from .tables import deployments_html

if TYPE_CHECKING:
    from .dashboard import Dashboard

SHIP_STEPS = ("package", "build", "deploy")


def _message(text: str, error: bool = False) -> str:
    colour = "#c62828" if error else "#2e7d32"
    return f'<span style="color:{colour}">{html.escape(text)}</span>'


class Actions:
    """The dashboard's actions (stop, select best, package → build → deploy, predict)."""

    def __init__(self, board: Dashboard) -> None:
        self.board = board
        self.state = "idle"  # idle | queued | package | build | deploy | done | error
        self.last_message = ""

    # -- plumbing ----------------------------------------------------------------------------
    def _status(self, text: str, error: bool = False) -> Apply:
        def apply() -> None:
            self.last_message = text
            self.board.view.status.value = _message(text, error)

        return apply

    def _run(self, name: str, job: Callable[[], Apply | None]) -> None:
        def guarded() -> Apply | None:
            try:
                return job()
            except Exception as exc:  # shown in the widget, never raised into the kernel
                if name == "ship":
                    self.state = "error"
                return self._status(f"{name} failed: {describe(exc)}", error=True)

        self.board.worker.submit(name, guarded)
        self.board.start()

    # -- actions -----------------------------------------------------------------------------
    def stop(self) -> None:
        group, api, project = self.board.group, self.board.api, self.board.project
        if group is None:
            return
        self._run(
            "stop",
            lambda: (
                api.stop(group, project=project),
                self._status(f"stop requested for group {group}"),
            )[1],
        )

    def select_best(self) -> None:
        board = self.board
        group = board.group
        if group is None:
            self.board.post(self._status("select a group first", error=True))
            return

        def job() -> Apply:
            objective = board.api.resolve_objective(group, project=board.project)
            info = board.api.best(group, project=board.project)

            def apply() -> None:
                board.view.experiment.value = info.id
                board.view.name.value = board.view.name.value or f"group{group}-exp{info.id}"
                self._status(f"best by {objective}: experiment {info.id}")()

            return apply

        self._run("select best", job)

    def ship(self) -> None:
        """Package the selected experiment, build its image (if one is named), deploy it."""
        board = self.board
        eid, name = board.view.experiment.value, board.view.name.value.strip()
        image = board.view.image.value.strip() or None
        if eid is None:
            board.post(self._status("select an experiment first", error=True))
            return
        try:
            name = validate_name(name or f"group{board.group}-exp{eid}", "package")
        except Exception as exc:
            board.post(self._status(describe(exc), error=True))
            return
        self.state = "queued"
        self._run("ship", lambda: self._ship(int(eid), name, image))

    def _ship(self, eid: int, name: str, image: str | None) -> Apply:
        board, api = self.board, self.board.api
        for number, step in enumerate(SHIP_STEPS):
            self.state = step
            board.worker.results.put(self._progress(number, f"{step} {name}…"))
            if step == "package":
                api.package(eid, name, force=True, project=board.project)
            elif step == "build" and image:
                api.build(name, image)
            elif step == "deploy":
                record = api.deploy(name)
        self.state = "done"
        url = record.get("url", "") if isinstance(record, dict) else ""
        board.worker.results.put(self._progress(3, ""))
        board.worker.results.put(self.refresh_deployments)  # show it now, not at the next poll
        return self._status(
            f"deployed {name} from experiment {eid}"
            + (f" at {url}" if url else "")
            + ("" if image else " (no image named: served from the folder)")
        )

    def _progress(self, value: int, text: str) -> Apply:
        def apply() -> None:
            self.board.view.ship_progress.value = value
            if text:
                self.board.view.status.value = _message(text)

        return apply

    def predict(self) -> None:
        board = self.board
        name, payload = board.view.deployment.value, board.view.payload.value.strip()
        if not name or not payload:
            board.post(self._status("choose a deployment and give an input", error=True))
            return

        def job() -> Apply:
            result = board.api.predict(name, payload)

            def apply() -> None:
                board.view.prediction.value = result._repr_html_()

            return apply

        self._run("predict", job)

    # -- read by the pump --------------------------------------------------------------------
    def refresh_deployments(self) -> None:
        """Read deployments and their health (pump thread)."""
        frame = self.board.api.deployments()
        records: list[dict[str, Any]] = [
            {"name": n, **row} for n, row in frame.to_dict(orient="index").items()
        ]
        self.board.view.deployments.value = deployments_html(records)
        names = [r["name"] for r in records]
        if list(self.board.view.deployment.options) != names:
            self.board.view.deployment.options = names
