"""A live plot: one background thread that reads new metric points and refreshes figures.

:class:`LivePlot` owns one :class:`~jupyter_mlpipe.plots.figure.MetricFigure` per metric and
one thread. At most every ``interval`` seconds (never faster than 2 Hz) the thread asks the
source for the points written since its last call, updates the figures in place and hands the
PNG of each changed figure to ``publish``. When the source says the group has finished it
draws a clean final picture, publishes it with ``final=True`` and exits. Where the pictures go
(a notebook display, a widget) is the caller's business: this module does no I/O of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .figure import MetricFigure
from .series import SeriesStore

MIN_INTERVAL = 0.5  # seconds: refresh at 2 Hz at most
TERMINAL = frozenset({"succeeded", "failed", "stopped", "timed-out", "done", "finished"})

#: ``publish(metric, png, final)``
Publisher = Callable[[str, bytes, bool], None]


class MetricsSource(Protocol):
    """Where a live plot gets its points."""

    def poll(self) -> Mapping[Any, Mapping[str, Sequence[Any]]]:
        """Points written since the previous call: ``{experiment: {metric: [(step, time,
        value), ...]}}``."""

    def finished(self) -> bool:
        """True once no more points will come (the group reached a terminal status)."""

    def best(self) -> tuple[int | None, str | None]:
        """The experiment to highlight and the objective it is best by (None, None: none)."""


class GroupSource:
    """A :class:`MetricsSource` over a group of the Python API (``Mlpipe``).

    Reads only new points, through the API's cursor (byte offsets into metrics.jsonl files).

    Args:
        api: an ``jupyter_mlpipe.api.Mlpipe`` (typed loosely: the API sits above this module).
        group: the group id.
        project: the project, or None for the default.
    """

    def __init__(self, api: Any, group: int, project: str | None = None) -> None:
        self.api = api
        self.group = group
        self.project = project
        self.cursor: Any = None
        self.reset: frozenset[int] = frozenset()

    def poll(self) -> Mapping[Any, Mapping[str, Sequence[Any]]]:
        """New points; ``self.reset`` then names experiments whose log started over."""
        batch = self.api.metrics(self.group, project=self.project, cursor=self.cursor)
        self.cursor = batch.cursor
        self.reset = frozenset(getattr(batch, "reset", ()))
        return batch.points

    def finished(self) -> bool:
        # the group record alone (the handle's status), not the per-experiment counts
        return str(self.api.handle(self.group, project=self.project).status()) in TERMINAL

    def best(self) -> tuple[int | None, str | None]:
        info = self.api.group(self.group, project=self.project)
        self.info = info
        return info.best, (str(info.objective) if info.objective else None)

    def labels(self, known: set[int]) -> dict[int, str]:
        """Each experiment's varying params as ``lr=0.01, momentum=0.9`` (read only when an
        experiment not in ``known`` appeared)."""
        detail = self.api.group_detail(self.group, project=self.project)
        if {row.id for row in detail.experiments} <= known:
            return {}
        return {
            row.id: ", ".join(f"{k}={_short(row.params.get(k))}" for k in detail.varying)
            for row in detail.experiments
        }

    def status(self) -> str:
        """The group's state in one line (from the last :meth:`best` read)."""
        info = getattr(self, "info", None)
        if info is None:
            return f"group {self.group}"
        done = {k: v for k, v in info.counts.items() if v}
        counts = ", ".join(f"{v} {k}" for k, v in done.items()) or "no experiments yet"
        best = ""
        if info.best is not None and info.objective is not None:
            value = "" if info.best_value is None else f" = {info.best_value:.4g}"
            best = f"; best #{info.best} by {info.objective}{value}"
        return f"group {self.group} {info.status}: {counts}{best}"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class LivePlot:
    """Figures for ``metrics`` that follow ``source`` until it finishes.

    Args:
        source: where points come from.
        metrics: metric names, one figure each.
        publish: called with ``(metric, png, final)`` for every changed figure.
        interval: seconds between refreshes (raised to 0.5 if lower).
        size: figure size in inches.
        on_status: called with the group's state in one line whenever it changes (the last
            call, after the group ended, names its final status).
    """

    def __init__(
        self,
        source: MetricsSource,
        metrics: Sequence[str],
        publish: Publisher,
        *,
        interval: float = MIN_INTERVAL,
        size: tuple[float, float] = (6.4, 3.6),
        on_status: Callable[[str], None] | None = None,
    ) -> None:
        if not metrics:
            raise ValueError("a live plot needs at least one metric")
        self.source = source
        self.publish = publish
        self.interval = max(MIN_INTERVAL, interval)
        self.store = SeriesStore(metrics)
        self.figures = {m: MetricFigure(m, size=size) for m in metrics}
        self.error: BaseException | None = None
        self.refreshes = 0
        self.finished = False
        self.metrics = list(metrics)
        self.status = ""
        self.on_status = on_status
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self, points: Mapping[Any, Mapping[str, Sequence[Any]]] | None = None) -> bool:
        """Read new points (or take ``points``), update the figures, publish those that
        changed. True if any did."""
        self._add(self.source.poll() if points is None else points)
        dirty = self.store.take_dirty()
        changed = False
        for metric, figure in self.figures.items():
            if figure.update(self.store, dirty):
                self.publish(metric, figure.render_png(), False)
                changed = True
        self.refreshes += 1
        return changed

    def finish(self) -> dict[str, bytes]:
        """Read the last points, publish a clean final picture of each figure and return them."""
        self._add(self.source.poll())
        self.store.take_dirty()
        pictures = {m: f.redraw_png(self.store) for m, f in self.figures.items()}
        for metric, png in pictures.items():
            self.publish(metric, png, True)
        self.finished = True
        return pictures

    def snapshot(self) -> dict[str, bytes]:
        """The current picture of each figure (after one refresh), without publishing."""
        self._add(self.source.poll())
        dirty = self.store.take_dirty()
        for figure in self.figures.values():
            figure.update(self.store, dirty)
        return {m: f.render_png() for m, f in self.figures.items()}

    def _add(self, points: Mapping[Any, Mapping[str, Sequence[Any]]]) -> None:
        restarted = getattr(self.source, "reset", ())
        if restarted:
            self.store.forget(restarted)
        self.store.add(points)
        best = getattr(self.source, "best", None)
        if best is not None:
            self.store.highlight, self.store.objective = best()
        labels = getattr(self.source, "labels", None)
        seen = {eid for lines in self.store.lines.values() for eid in lines}
        if labels is not None and not seen <= set(self.store.labels):
            self.store.labels.update(labels(set(self.store.labels)))
        describe = getattr(self.source, "status", None)
        text = describe() if describe is not None else ""
        if text and text != self.status:
            self.status = text
            if self.on_status is not None:
                self.on_status(text)

    def start(self) -> LivePlot:
        """Start the refresh thread (once); returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mlpipe-liveplot", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                done = self.source.finished()  # read before the points: none can be missed
                if done:
                    self.finish()
                    return
                self.refresh()
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        except Exception as exc:  # the thread must not die silently: keep it for the caller
            self.error = exc

    def stop(self, timeout: float | None = 5.0) -> None:
        """Ask the thread to stop and wait for it (the figures keep their last picture)."""
        self._stop.set()
        self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has (or never started)."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def __repr__(self) -> str:
        state = "running" if self.running else ("finished" if self.finished else "stopped")
        return f"<live plot of {', '.join(self.metrics)}: {self.status or state}>"

    def _ipython_display_(self) -> None:
        """In a notebook, :func:`~.show.live_plot` already shows the pictures and a status
        line kept current; a static repr under them would go stale, so show nothing more."""
        if self.on_status is None:
            print(repr(self))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Stop the thread and free the figures."""
        self.stop()
        for figure in self.figures.values():
            figure.close()
