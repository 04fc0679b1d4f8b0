"""Starting sweeps and the :class:`Sweep` handle a caller keeps to follow one."""

from __future__ import annotations

import html
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..proc import start_daemon
from ..settings import REGISTRY, Settings
from ..store import GroupRecord, Store

if TYPE_CHECKING:
    import pandas as pd

    from ..plots import LivePlot
    from ..store import MetricsBatch
    from .core import Mlpipe
    from .records import ExperimentInfo, GroupInfo

#: Exit codes of ``mlpipe sweep --wait`` by the group's final status.
EXIT_CODES = {"succeeded": 0, "failed": 1, "stopped": 4}


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings in force as ``MLPIPE_*`` variables, so child processes see the same."""
    return {s.env_var: str(settings.values[s.name]) for s in REGISTRY}


def start_supervisor(store: Store, group: int, settings: Settings) -> int:
    """Start the group's detached supervisor; return its pid."""
    argv = [
        sys.executable,
        "-m",
        "jupyter_mlpipe.engine.supervisor",
        "--root",
        str(store.root),
        "--user",
        store.user,
        "--project",
        store.project,
        "--group",
        str(group),
    ]
    env = {**os.environ, **settings_env(settings)}
    log = store.group_dir(group) / "supervisor.log"
    pid = start_daemon(argv, env=env, stdout_path=log)
    store.log_event(group, "supervisor-spawned", pid=pid)
    return pid


class Sweep:
    """A handle on one group. It holds only ids: every answer is read from the store.

    Attributes:
        group: the group id.
        project: the project name.
    """

    def __init__(self, api: Mlpipe, project: str, group: int) -> None:
        self.api = api
        self.project = project
        self.group = group

    def __repr__(self) -> str:
        return f"Sweep(project={self.project!r}, group={self.group})"

    def record(self) -> GroupRecord:
        """The group's record, reconciled if its supervisor died."""
        return self.api._group_record(self.group, self.project)

    def status(self) -> str:
        return self.record().status

    def info(self) -> GroupInfo:
        return self.api.group(self.group, project=self.project)

    def experiments(self, sort: str | None = None, columns: str = "compare") -> pd.DataFrame:
        """The group's experiments as a DataFrame; see ``Mlpipe.experiments``."""
        return self.api.experiments(self.group, project=self.project, sort=sort, columns=columns)

    def best(self, metric: str | None = None, mode: str | None = None) -> ExperimentInfo:
        """The best experiment (default: by the group's objective); see ``Mlpipe.best``."""
        return self.api.best(self.group, metric, mode=mode, project=self.project)

    def stop(self) -> None:
        self.api.stop(self.group, project=self.project)

    def metrics(self, cursor: str | None = None) -> MetricsBatch:
        return self.api.metrics(self.group, project=self.project, cursor=cursor)

    def plot(
        self, metrics: tuple[str, ...] | list[str] | str = ("loss",), **options: Any
    ) -> LivePlot:
        """Live metric curves (matplotlib) that update until the group finishes."""
        from ..plots import live_plot

        names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
        return live_plot(self.api, self.group, names, project=self.project, **options)

    def importance(self, **options: Any) -> Any:
        """Parameter importance for the group's objective (see ``Mlpipe.importance``)."""
        return self.api.importance(self.group, project=self.project, **options)

    def history(self, **options: Any) -> Any:
        """The optimisation history (see ``Mlpipe.history``)."""
        return self.api.history(self.group, project=self.project, **options)

    def parallel_coordinates(self, **options: Any) -> Any:
        """Params → objective, one line per experiment (see ``Mlpipe.parallel_coordinates``)."""
        return self.api.parallel_coordinates(self.group, project=self.project, **options)

    def slices(self, **options: Any) -> Any:
        """The objective against each param (see ``Mlpipe.slices``)."""
        return self.api.slices(self.group, project=self.project, **options)

    def wait(
        self, progress: bool | None = None, interval: float = 0.5, timeout: float | None = None
    ) -> GroupRecord:
        """Block until the group is final, with a progress bar of finished experiments.

        Args:
            progress: show a tqdm bar (default: when attached to a terminal or notebook).
            timeout: give up after this many seconds (the sweep keeps running).
        """
        from tqdm.auto import tqdm

        show = sys.stderr.isatty() or "ipykernel" in sys.modules if progress is None else progress
        record = self.record()
        bar = tqdm(
            total=record.planned,
            desc=f"group {self.group}",
            unit="exp",
            disable=not show,
            leave=True,
        )
        deadline = None if timeout is None else time.monotonic() + timeout
        shown: tuple[int, str] = (-1, "")
        try:
            while True:
                record = self.record()
                statuses = self.api._reader(self.group, self.project).statuses()
                done = sum(s.is_final for s in statuses.values())
                if (done, record.status) != shown:  # redraw only on change (quiet in logs)
                    shown = (done, record.status)
                    bar.total = max(record.planned or 0, done)
                    bar.n = done
                    bar.set_postfix_str(record.status, refresh=False)
                    bar.refresh()
                if record.status in EXIT_CODES:
                    return record
                if deadline is not None and time.monotonic() > deadline:
                    return record
                time.sleep(interval)
        finally:
            bar.close()

    def _repr_html_(self) -> str:
        try:
            return self.info()._repr_html_()
        except Exception as exc:
            return f"<b>{html.escape(repr(self))}</b>: {html.escape(str(exc))}"


def project_dir_of(file: str | Path | None) -> Path:
    """The folder trials run in: the spec file's folder, else the current one."""
    return Path(file).resolve().parent if file else Path.cwd().resolve()
