"""``%mlpipe dashboard``: one group's experiments, curves, actions and deployments, live.

The :class:`Dashboard` is an ``ipywidgets.VBox``. Its state is read from the store through the
API on every tick of one pump thread (the only widget writer); clicks queue jobs on a worker
thread (see :mod:`.pump`). The pump stops by itself when the group has finished and no job is
pending, and when the widget is closed; any later click starts it again.
"""

from __future__ import annotations

import html
import queue
from typing import Any

import ipywidgets as w

from ..api import GroupDetail, badge
from ..api.plotting import TERMINAL, GroupSource, MetricFigure, SeriesStore
from .actions import Actions
from .pump import Apply, Pump, Worker, describe
from .tables import Row, experiments_html, group_label
from .view import build_view

_SLOW_EVERY = 5  # ticks between reads of the groups list and the deployments' health


class Dashboard(w.VBox):
    """A live dashboard of a group.

    Args:
        api: the ``Mlpipe`` API object.
        group: the group to show (default: the newest group).
        project: the project (default: the setting).
        interval: seconds between refreshes.
    """

    def __init__(
        self, api: Any, group: int | None = None, project: str | None = None, interval: float = 1.0
    ) -> None:
        self.api = api
        self.project = project
        self.view = build_view()
        super().__init__(children=self.view.layout())
        self.worker = Worker()
        self.inbox: queue.Queue[Apply] = queue.Queue()
        self.pump = Pump(self.tick, max(0.5, interval), self._pump_failed)
        self.actions = Actions(self)
        self.ticks = 0
        self.group: int | None = None
        self.group_status = ""
        self.counts: dict[str, int] = {}
        self.rows: list[Row] = []
        self.best: int | None = None
        self.error: str = ""
        self.closed = False
        self._ticking = False
        self._reset(group if group is not None else self._newest_group())
        self._wire()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Dashboard:
        """Start (or restart) the pump thread; returns self so a cell can display it."""
        if not self.closed:
            self.pump.start()
        return self

    def close(self) -> None:
        """Stop the threads and close the widgets."""
        self.closed = True
        self.pump.stop()
        self.worker.close()
        if self.figure is not None:
            self.figure.close()
        for child in self.children:
            child.close()
        super().close()

    def post(self, apply: Apply) -> None:
        """Ask the pump to run ``apply`` (which writes widgets) on its next tick."""
        self.inbox.put(apply)
        if not self._ticking:  # the pump's own widget writes fire observers too
            self.start()

    # -- the pump's tick -------------------------------------------------------------------
    def tick(self) -> bool:
        """One refresh: apply queued updates, read new state, redraw. False when done."""
        self._ticking = True
        try:
            return self._tick()
        finally:
            self._ticking = False

    def _tick(self) -> bool:
        self.ticks += 1
        for apply in self._drain():
            apply()
        if self.ticks == 1 or self.ticks % _SLOW_EVERY == 0:
            self._refresh_groups()
            self.actions.refresh_deployments()
        if self.group is None:
            return not self.worker.idle
        self._refresh_group()
        finished = self.group_status in TERMINAL
        if finished and self.worker.idle and self.inbox.empty():
            self._redraw(final=True)
            return False
        return not self.closed

    def _drain(self) -> list[Apply]:
        out = self.worker.drain_results()
        while True:
            try:
                out.append(self.inbox.get_nowait())
            except queue.Empty:
                return out

    def _pump_failed(self, exc: BaseException) -> None:
        self.error = describe(exc)
        self.view.status.value = f'<span style="color:#c62828">{html.escape(self.error)}</span>'

    # -- reading state ---------------------------------------------------------------------
    def _newest_group(self) -> int | None:
        frame = self.api.groups(project=self.project)
        return int(max(frame.index)) if len(frame.index) else None

    def _reset(self, group: int | None) -> None:
        """Follow ``group`` from scratch (its points are read again from the start)."""
        previous = getattr(self, "figure", None)
        if previous is not None:
            previous.close()
        self.group = group
        self.source = GroupSource(self.api, group, self.project) if group is not None else None
        self.series = SeriesStore(None)
        self.figure: MetricFigure | None = None
        self.counts, self.rows, self.best, self.group_status = {}, [], None, ""

    def _refresh_groups(self) -> None:
        frame = self.api.groups(project=self.project)
        options = [
            (group_label(int(gid), frame.loc[gid, "name"], frame.loc[gid, "status"]), int(gid))
            for gid in sorted(frame.index, reverse=True)
        ]
        if options != list(self.view.groups.options):
            self.view.groups.options = options
        if self.group is not None and self.view.groups.value != self.group:
            self.view.groups.value = self.group

    def _refresh_group(self) -> None:
        assert self.group is not None and self.source is not None
        detail = self.api.group_detail(self.group, project=self.project)
        info = detail.group
        self.group_status, self.counts = info.status, dict(info.counts)
        self._relabel(info.id, group_label(info.id, info.name, info.status))
        points = self.source.poll()
        self.series.forget(self.source.reset)
        self.series.add(points)
        self.best = info.best
        self.series.highlight = info.best
        self.series.objective = str(info.objective) if info.objective else None
        self._show_rows(detail)
        objective = f" · best by {info.objective}" if info.objective else ""
        self.view.header.value = (
            f"<b>group {info.id}</b> {html.escape(info.name)} {badge(info.status)} <small>"
            + html.escape(", ".join(f"{n} {s}" for s, n in info.counts.items() if n) + objective)
            + "</small>"
        )
        self._redraw(final=False)

    def _relabel(self, group: int, label: str) -> None:
        """Keep the dropdown's entry of ``group`` saying its current status (the full list is
        re-read only every few ticks)."""
        options = list(self.view.groups.options)
        fresh = [(label, gid) if gid == group else (text, gid) for text, gid in options]
        if fresh != options:
            self.view.groups.options = fresh
            self.view.groups.value = self.group

    def _show_rows(self, detail: GroupDetail) -> None:
        self.rows = [
            Row(
                id=r.id,
                status=r.status,
                params={p: r.params[p] for p in detail.params if r.params.get(p) is not None},
                latest={name: m.last for name, m in r.metrics.items()},
                steps_done=max((m.count for m in r.metrics.values()), default=0),
                message=r.state.message,
            )
            for r in detail.experiments
        ]
        ids = [r.id for r in self.rows]
        if list(self.view.experiment.options) != ids:
            self.view.experiment.options = ids
        self._update_rows()

    def _update_rows(self) -> None:
        self.view.table.value = experiments_html(self.rows, self.view.experiment.value, self.best)

    def _metric(self) -> str | None:
        names = self.series.metrics
        if list(self.view.metric.options) != names:
            self.view.metric.options = names
        if self.view.metric.value not in names and names:
            self.view.metric.value = names[0]  # show a curve without waiting for a choice
        return self.view.metric.value if self.view.metric.value in names else None

    def _redraw(self, final: bool) -> None:
        metric = self._metric()
        dirty = self.series.take_dirty()
        if metric is None:
            return
        if self.figure is None or self.figure.metric != metric:
            if self.figure is not None:
                self.figure.close()
            self.figure = MetricFigure(metric)
            dirty = {(metric, eid) for eid in self.series.lines[metric]}
        if final:
            self.view.plot.value = self.figure.redraw_png(self.series)
        elif self.figure.update(self.series, dirty):
            self.view.plot.value = self.figure.render_png()

    # -- events (kernel thread: queue work, write nothing) ---------------------------------
    def _wire(self) -> None:
        v = self.view
        v.groups.observe(lambda c: self.post(lambda: self._switch(c["new"])), names="value")
        v.metric.observe(lambda c: self.post(lambda: self._redraw(final=False)), names="value")
        v.experiment.observe(lambda c: self.post(self._update_rows), names="value")
        v.stop.on_click(lambda _: self.actions.stop())
        v.best.on_click(lambda _: self.actions.select_best())
        v.ship.on_click(lambda _: self.actions.ship())
        v.predict.on_click(lambda _: self.actions.predict())

    def _switch(self, group: int | None) -> None:
        if group is not None and group != self.group:
            self._reset(group)


__all__ = ["Dashboard"]
