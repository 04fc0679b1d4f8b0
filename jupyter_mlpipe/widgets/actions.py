"""What the dashboard's buttons do: jobs for the worker, updates for the pump.

Each action reads what it needs from the widgets on the kernel's thread (reading is safe), then
queues a job. A job calls the API, and returns a callable that writes the outcome into the
widgets — run later by the pump. Errors are caught in the job and shown in the widget: a failed
build says why in the status line instead of raising into the kernel.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .pump import Apply, describe
from .tables import deployments_html

if TYPE_CHECKING:
    from .dashboard import Dashboard

POLL = 0.2  # seconds between reads of a running ship operation


def _message(text: str, error: bool = False) -> str:
    colour = "#c62828" if error else "#2e7d32"
    return f'<span style="color:{colour}">{html.escape(text)}</span>'


class Actions:
    """The dashboard's actions (stop, select best, ship, predict)."""

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
                self._status(f"best by {objective}: experiment {info.id}")()

            return apply

        self._run("select best", job)

    def ship(self) -> None:
        """Ship the selected experiment through the API's pipeline and follow its operation.

        An empty name takes the API's default (unique per project, group and experiment);
        nothing already packaged under another experiment is ever replaced.
        """
        board = self.board
        eid, name = board.view.experiment.value, board.view.name.value.strip()
        image = board.view.image.value.strip() or None
        if eid is None:
            board.post(self._status("select an experiment first", error=True))
            return
        self.state = "queued"
        self._run("ship", lambda: self._ship(int(eid), name or None, image))

    def _ship(self, eid: int, name: str | None, image: str | None) -> Apply:
        board, api = self.board, self.board.api
        record = api.ship(experiment=eid, name=name, image=image, project=board.project, wait=False)
        seen = None
        while True:  # the worker thread follows the operation as any other watcher would
            record = api.operation(record.id)
            progress = [(s.name, s.status) for s in record.steps]
            if progress != seen:
                seen = progress
                board.worker.results.put(self._progress(record))
            if record.finished:
                break
            time.sleep(POLL)
        if record.status != "succeeded":
            self.state = "error"
            message = record.error["message"] if record.error else record.status
            return self._status(f"ship failed: {message}", error=True)
        self.state = "done"
        board.worker.results.put(self.refresh_deployments)  # show it now, not at the next poll
        deployed = record.result.get("deploy") or {}
        url = deployed.get("url") or ""
        built = record.step("build").status == "succeeded"
        return self._status(
            f"deployed {deployed.get('name')} from experiment {eid}"
            + (f" at {url}" if url else "")
            + ("" if built else " (no image named: served from the folder)")
        )

    def _progress(self, record: Any) -> Apply:
        done = [s for s in record.steps if s.status in ("succeeded", "skipped")]
        running = [s.name for s in record.steps if s.status == "running"]
        if running:
            self.state = running[0]

        def apply() -> None:
            bar = self.board.view.ship_progress
            bar.max = len(record.steps)
            bar.value = len(done) if record.status == "succeeded" or running else 0
            if running:
                self.board.view.status.value = _message(f"{running[0]}…")

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
