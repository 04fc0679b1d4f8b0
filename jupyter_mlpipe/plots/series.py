"""Metric series accumulated incrementally, one growing line per (metric, experiment).

A live plot receives only new points at each refresh. :class:`SeriesStore` appends them to
amortised-doubling numpy buffers, remembers which lines changed since the last draw, and keeps
each line's running minimum and maximum so axes limits and the "best" experiment are known
without rescanning the data. It knows nothing about matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .decimate import FloatArray


@dataclass
class Line:
    """One experiment's values of one metric (x = step, or the point's index when unset)."""

    _x: FloatArray = field(default_factory=lambda: np.empty(64))
    _y: FloatArray = field(default_factory=lambda: np.empty(64))
    size: int = 0
    low: float = math.inf
    high: float = -math.inf
    first_x: float = math.inf
    last_x: float = -math.inf
    last: float = math.nan

    @property
    def x(self) -> FloatArray:
        return self._x[: self.size]

    @property
    def y(self) -> FloatArray:
        return self._y[: self.size]

    def extend(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        """Append points (finite values only; the caller filtered the rest)."""
        need = self.size + len(xs)
        if need > len(self._x):
            capacity = max(need, 2 * len(self._x))
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[self.size : need] = xs
        self._y[self.size : need] = ys
        self.size = need
        if len(ys):
            self.low = min(self.low, min(ys))
            self.high = max(self.high, max(ys))
            self.last = ys[-1]
            self.first_x = min(self.first_x, min(xs))
            self.last_x = max(self.last_x, max(xs))


def _finite_points(line: Line, raw: Iterable[Any]) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    index = line.size
    for point in raw:
        step, value = point[0], point[-1]
        index += 1
        if value is None or isinstance(value, bool):
            continue
        try:
            y = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(y):  # NaN/inf cannot be drawn on a linear axis
            continue
        xs.append(float(step) if step is not None else float(index - 1))
        ys.append(y)
    return xs, ys


class SeriesStore:
    """Lines per metric and experiment, fed incrementally.

    Args:
        metrics: the metric names to keep (others are ignored); None keeps every metric seen.

    Attributes:
        highlight: the experiment drawn as the best — the group's best by its objective, set by
            whoever knows it (nothing here guesses a direction from a metric's name).
        objective: the group's objective as text (``accuracy:max``), shown in titles.
        labels: experiment → its params that vary (``lr=0.01, momentum=0.9``), for legends.
    """

    def __init__(self, metrics: Sequence[str] | None = None) -> None:
        self.keep_all = metrics is None
        self.highlight: int | None = None
        self.objective: str | None = None
        self.labels: dict[int, str] = {}
        self.lines: dict[str, dict[int, Line]] = {}
        for metric in metrics or ():
            self._track(metric)
        self.dirty: set[tuple[str, int]] = set()

    @property
    def metrics(self) -> list[str]:
        return list(self.lines)

    def _track(self, metric: str) -> None:
        self.lines[metric] = {}

    def add(self, points: Mapping[Any, Mapping[str, Iterable[Any]]]) -> int:
        """Append ``{experiment: {metric: [(step, time, value), ...]}}``; return points added."""
        added = 0
        for eid, per_metric in points.items():
            for metric, raw in per_metric.items():
                if metric not in self.lines:
                    if not self.keep_all:
                        continue
                    self._track(metric)
                line = self.lines[metric].setdefault(int(eid), Line())
                xs, ys = _finite_points(line, raw)
                if xs:
                    line.extend(xs, ys)
                    self.dirty.add((metric, int(eid)))
                    added += len(xs)
        return added

    def forget(self, experiments: Iterable[int]) -> None:
        """Drop every line of ``experiments`` (their logs restarted, e.g. a retry)."""
        for lines in self.lines.values():
            for eid in experiments:
                lines.pop(int(eid), None)
        self.dirty = {(m, e) for m, e in self.dirty if e in self.lines[m]}

    def take_dirty(self) -> set[tuple[str, int]]:
        """The lines changed since the previous call (and forget them)."""
        dirty, self.dirty = self.dirty, set()
        return dirty

    def best(self, metric: str) -> int | None:
        """The highlighted experiment when it has a line of ``metric``, else None."""
        lines = self.lines.get(metric) or {}
        return self.highlight if self.highlight in lines else None

    def limits(self, metric: str) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """``((xmin, xmax), (ymin, ymax))`` over all lines of ``metric``, padded when flat."""
        lines = [line for line in (self.lines.get(metric) or {}).values() if line.size]
        if not lines:
            return None
        x0 = min(line.first_x for line in lines)
        x1 = max(line.last_x for line in lines)
        y0 = min(line.low for line in lines)
        y1 = max(line.high for line in lines)
        return _pad(x0, x1, 0.02), _pad(y0, y1, 0.05)


def _pad(low: float, high: float, margin: float) -> tuple[float, float]:
    if high <= low:
        half = abs(low) * 0.05 or 0.5
        return low - half, high + half
    extra = (high - low) * margin
    return low - extra, high + extra
