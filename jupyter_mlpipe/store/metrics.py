"""Metric logs: what a line of ``metrics.jsonl`` means, and reading only what was appended.

This module is the only code that decodes metrics logs (``<group dir>/<experiment>/metrics.jsonl``,
written by :mod:`jupyter_mlpipe.tracking`). Every view — the API's tables, ``best``, the live plots,
the widgets, the REST API, the sweep driver — goes through it, so they all agree.

**What a line means** (decided once, here):

* A line is a JSON object ``{"values": {name: value, ...}, "step": int, "time": float}``.
  ``step`` is kept when it is a non-negative integer (not a bool), else ``None``; ``time`` when it
  is a number, else NaN. A complete line that is not a JSON object, or has no ``values`` object,
  is skipped (only a foreign writer makes one); it never blocks the lines after it.
* A value that is an int or float (not a bool) is a point. ``NaN``, ``Infinity`` and ``-Infinity``
  (the standard library's literals) and ``null`` (what the tracking helper writes for them) are
  points whose value is NaN: the metric was logged but has no finite value. Such a point is the
  *last* value when it is the newest (shown as missing: ``None`` in JSON, NaN in DataFrames), and
  is ignored by ``min`` and ``max``.
* ``true``/``false``, strings, lists and objects are not metrics: that *value* is skipped, the other
  values of the same line are kept.
* A torn last line (no newline yet: a writer caught mid-append or killed) is not read until it is
  complete.

**Reading incrementally.** A :class:`MetricsReader` remembers, per experiment, the byte offset just
past the last complete line it has read. A refresh lists the group folder (new experiments appear),
``stat``s each metrics file and reads only the bytes appended since the offset — an idle refresh
costs one directory listing and one ``stat`` per experiment, whatever the size of the logs.

The offsets travel as an opaque string (:attr:`MetricsBatch.cursor`), so a stateless caller — the
REST API, a notebook cell run again — continues where the previous answer ended::

    batch = MetricsReader(group_dir).read()
    ...
    batch = MetricsReader(group_dir, cursor=batch.cursor).read()   # only what is new

Points are ``(step, time, value)`` tuples. A file that shrank (an experiment retried from
scratch) is read again from the start — as is one replaced by a new file (another inode) — and its
id is reported in :attr:`MetricsBatch.reset` so views drop the old points.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StoreError

#: Name of the metrics log inside an experiment folder (the tracking helper writes it).
METRICS_FILE = "metrics.jsonl"

Point = tuple[int | None, float, float]
Points = dict[int, dict[str, list[Point]]]


def _load_parser() -> Callable[[bytes], Any]:
    try:  # orjson parses several times faster; the standard library is the fallback
        from orjson import loads
    except ImportError:  # pragma: no cover - orjson is a dependency, but stay usable without it
        return json.loads
    return loads


_fast_loads = _load_parser()


@dataclass(frozen=True)
class MetricsBatch:
    """New points since the previous read.

    Attributes:
        points: experiment id → metric name → new ``(step, time, value)`` points, in file order.
            Only experiments and metrics with new points appear.
        cursor: pass back to :class:`MetricsReader` to continue after these points.
        reset: experiments whose log was rewritten: drop their earlier points first.
        more: the page was full: more points were already logged — read again with ``cursor``.
    """

    points: Points
    cursor: str
    reset: frozenset[int] = frozenset()
    more: bool = False

    @property
    def empty(self) -> bool:
        """True when nothing new arrived."""
        return not self.points and not self.reset

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": {
                str(eid): {
                    name: [[s, finite_or_none(t), finite_or_none(v)] for s, t, v in series]
                    for name, series in metrics.items()
                }
                for eid, metrics in self.points.items()
            },
            "cursor": self.cursor,
            "reset": sorted(self.reset),
            "more": self.more,
        }


def encode_cursor(positions: Mapping[int, int | tuple[int, int]]) -> str:
    """The URL-safe string form of ``{experiment: offset}`` or ``{experiment: (offset, inode)}``."""
    data = {
        str(eid): list(pos) if isinstance(pos, tuple) else pos
        for eid, pos in sorted(positions.items())
    }
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_positions(cursor: str | None) -> dict[int, tuple[int, int]]:
    """``{experiment: (offset, inode)}`` from a cursor; inode 0 means "not known yet"."""
    if not cursor:
        return {}
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        positions = {}
        for key, value in data.items():
            offset, inode = (value, 0) if isinstance(value, int) else value
            positions[int(key)] = (int(offset), int(inode))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise StoreError(
            f"metrics cursor {cursor[:40]!r} is not one this reader produced ({exc}) "
            "— omit the cursor to read from the start"
        ) from None
    if any(offset < 0 for offset, _ in positions.values()):
        raise StoreError(f"metrics cursor {cursor[:40]!r} holds a negative offset — omit it")
    return positions


def decode_cursor(cursor: str | None) -> dict[int, int]:
    """The byte offsets of a cursor, ``{experiment: offset}`` (None or "" is the start).

    Raises:
        StoreError: the string is not a cursor this module produced.
    """
    return {eid: offset for eid, (offset, _) in _decode_positions(cursor).items()}


class MetricsReader:
    """Reads what was appended to a group's metric logs since the last read.

    Args:
        group_dir: the group folder (``<outputs>/<user>/<project>/groups/<gid>``); it may not
            exist yet.
        cursor: where a previous :class:`MetricsBatch` ended, or None to start at the beginning.
        experiments: only these experiment ids (default: every experiment folder).
        max_bytes: read at most about this many bytes of logs per :meth:`read` (a page; the
            batch then says ``more``), whole lines only; None reads everything new.
        max_points: decimate each series of a batch to about this many points (the first, the
            last, and the lowest and highest of each bucket); None keeps every point.

    Raises:
        StoreError: ``cursor`` is not a cursor string.
    """

    def __init__(
        self,
        group_dir: str | os.PathLike[str],
        cursor: str | None = None,
        experiments: Iterable[int] | None = None,
        max_bytes: int | None = None,
        max_points: int | None = None,
    ) -> None:
        self.group_dir = Path(group_dir)
        self.max_bytes = max_bytes
        self.max_points = max_points
        self._positions = _decode_positions(cursor)
        self._sizes: dict[int, int] = {}  # size at the last read: a torn tail is not re-read
        self._only = None if experiments is None else frozenset(int(e) for e in experiments)

    @property
    def cursor(self) -> str:
        """Where the next read starts."""
        return encode_cursor(self._positions)

    @property
    def offsets(self) -> dict[int, int]:
        """Experiment id → byte offset just past the last complete line read."""
        return {eid: offset for eid, (offset, _) in self._positions.items()}

    def _experiment_ids(self) -> list[int]:
        try:
            with os.scandir(self.group_dir) as entries:
                ids = [
                    int(e.name)
                    for e in entries
                    if e.name.isascii() and e.name.isdigit() and e.is_dir(follow_symlinks=False)
                ]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(ids)

    def read(self, experiments: Iterable[int] | None = None) -> MetricsBatch:
        """New points since the previous read (or the cursor).

        Args:
            experiments: the experiment folders to look at, when the caller has just listed
                them (default: list the group folder).
        """
        points: Points = {}
        reset: set[int] = set()
        ids = self._experiment_ids() if experiments is None else experiments
        base = os.fspath(self.group_dir)
        budget = self.max_bytes
        more = False
        for eid in ids:
            if self._only is not None and eid not in self._only:
                continue
            path = f"{base}/{eid}/{METRICS_FILE}"
            try:
                stat = os.stat(path)
            except FileNotFoundError:
                continue
            offset, inode = self._positions.get(eid, (0, 0))
            if stat.st_size < offset or (inode and inode != stat.st_ino):
                # Truncated or replaced (a retry started the log over): read it from the start.
                if offset:
                    reset.add(eid)
                offset = 0
            elif stat.st_size == offset or (
                stat.st_size == self._sizes.get(eid) and inode == stat.st_ino
            ):  # nothing appended (at most a torn tail already seen)
                self._positions[eid] = (offset, stat.st_ino)
                continue
            end = stat.st_size
            if budget is not None:
                if budget <= 0:
                    more = True
                    if eid in reset:  # start over next page, without a second reset
                        self._positions[eid] = (0, stat.st_ino)
                    continue
                if end - offset > budget:  # a page: up to the budget, whole lines only
                    end, more = _page_end(path, offset, budget, end), True
            start = offset
            records, offset = _read_from(path, offset, end)
            if budget is not None:
                budget -= max(offset - start, 1)
            self._positions[eid] = (offset, stat.st_ino)
            if end == stat.st_size:
                self._sizes[eid] = stat.st_size
            series = _collect(records)
            if series:
                points[eid] = (
                    series
                    if self.max_points is None
                    else {n: decimate_points(p, self.max_points) for n, p in series.items()}
                )
        return MetricsBatch(points=points, cursor=self.cursor, reset=frozenset(reset), more=more)


def _page_end(path: str, offset: int, budget: int, size: int) -> int:
    """Where a page of about ``budget`` bytes from ``offset`` ends: after the last whole line
    within it, or after the first line when that one alone is longer (so every page moves on)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(budget)
        cut = data.rfind(b"\n")
        if cut >= 0:
            return offset + cut + 1
        while True:  # one line longer than the budget: read on to its end
            chunk = fh.read(1 << 16)
            if not chunk:
                return size
            newline = chunk.find(b"\n")
            if newline >= 0:
                return min(size, fh.tell() - len(chunk) + newline + 1)


def decimate_points(points: list[Point], limit: int) -> list[Point]:
    """At most about ``limit`` points that keep the series' shape: the first and last points and,
    in each of ``limit // 2`` buckets, its lowest and highest value, in order."""
    if limit < 2 or len(points) <= limit:
        return points
    buckets = limit // 2
    size = -(-len(points) // buckets)
    kept: list[Point] = []
    for start in range(0, len(points), size):
        chunk = points[start : start + size]
        finite = [p for p in chunk if p[2] == p[2]]  # NaN != NaN
        if not finite:
            kept.append(chunk[-1])
            continue
        low = min(finite, key=lambda p: p[2])
        high = max(finite, key=lambda p: p[2])
        kept.extend(sorted({id(low): low, id(high): high}.values(), key=chunk.index))
    if kept[0] is not points[0]:
        kept.insert(0, points[0])
    if kept[-1] is not points[-1]:
        kept.append(points[-1])
    return kept


def _read_from(path: str, offset: int, size: int) -> tuple[list[bytes], int]:
    """Complete lines between ``offset`` and ``size``, and the offset after the last one."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(size - offset)
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset  # only a torn line so far
    return data[:end].split(b"\n"), offset + end + 1


@dataclass(frozen=True)
class MetricLine:
    """One decoded line of a metrics log (see the module doc for what each field may hold).

    Attributes:
        step: the step, or None when the line had none (or an unusable one).
        time: when it was logged (seconds since the epoch), NaN when unknown.
        values: metric name → value; NaN stands for a logged non-finite or null value.
    """

    step: int | None
    time: float
    values: dict[str, float]


def parse_line(raw: bytes) -> MetricLine | None:
    """Decode one complete line; None when it holds no metric at all."""
    decoded = _decode(_parse(raw))
    return None if decoded is None else MetricLine(*decoded)


def _decode(record: dict[str, Any] | None) -> tuple[int | None, float, dict[str, float]] | None:
    """(step, time, values) of a decoded line, by the rules of the module doc; hot path."""
    if record is None:
        return None
    values = record.get("values")
    if type(values) is not dict:
        return None
    step = record.get("step")
    if type(step) is not int or step < 0:  # type(): a bool is no step
        step = None
    raw_time = record.get("time")
    usable = isinstance(raw_time, (float, int)) and not isinstance(raw_time, bool)
    when = float(raw_time) if usable else math.nan  # type: ignore[arg-type]
    kept: dict[str, float] = {}
    for name, value in values.items():
        kind = type(value)
        if kind is float:
            kept[name] = value if value - value == 0.0 else math.nan  # inf - inf and NaN: NaN
        elif kind is int:
            try:
                kept[name] = float(value)
            except OverflowError:  # an integer beyond float range: not a finite measurement
                kept[name] = math.nan
        elif value is None:
            kept[name] = math.nan
    return (step, when, kept) if kept else None


def read_lines(path: str | os.PathLike[str], offset: int = 0) -> tuple[list[MetricLine], int]:
    """Decoded complete lines of one metrics log from byte ``offset``, and the offset after them.

    A missing file reads as empty; a torn last line is left for the next call.
    """
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return [], offset
    if size <= offset:
        return [], offset
    raw, end = _read_from(os.fspath(path), offset, size)
    return [line for line in map(parse_line, raw) if line is not None], end


def _collect(lines: Sequence[bytes]) -> dict[str, list[Point]]:
    series: dict[str, list[Point]] = {}
    for raw in lines:
        decoded = _decode(_parse(raw))
        if decoded is None:
            continue
        step, when, values = decoded
        for name, value in values.items():
            points = series.get(name)
            if points is None:
                points = series[name] = []
            points.append((step, when, value))
    return series


def _parse(raw: bytes) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        record = _fast_loads(raw)
    except ValueError:
        try:  # the standard parser also accepts NaN/Infinity literals from other writers
            record = json.loads(raw)
        except (ValueError, RecursionError):
            return None
    return record if isinstance(record, dict) else None


@dataclass(frozen=True)
class MetricSummary:
    """Last, min and max of one metric of one experiment (min/max ignore NaN).

    Attributes:
        last: the most recent value (NaN if it was not finite).
        min: the smallest finite value, or NaN when there is none.
        max: the largest finite value, or NaN when there is none.
        step: the step of the most recent value (None when logged without a step).
        count: how many points were seen.
    """

    last: float
    min: float
    max: float
    step: int | None
    count: int

    def to_dict(self) -> dict[str, Any]:
        """Strict JSON values: a non-finite number is ``None`` (missing)."""
        return {
            "last": finite_or_none(self.last),
            "min": finite_or_none(self.min),
            "max": finite_or_none(self.max),
            "step": self.step,
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricSummary:
        def number(value: Any) -> float:
            return math.nan if value is None else float(value)

        return cls(
            number(data["last"]),
            number(data["min"]),
            number(data["max"]),
            data.get("step"),
            int(data["count"]),
        )


def finite_or_none(value: float) -> float | None:
    """``value`` when it is a finite number, else None (how JSON shows a missing value)."""
    return value if math.isfinite(value) else None


def summarise(
    points: Mapping[str, Sequence[Point]],
    previous: Mapping[str, MetricSummary] | None = None,
) -> dict[str, MetricSummary]:
    """Fold one experiment's points (``{metric: [(step, time, value), ...]}``) into summaries.

    Args:
        points: new points in file order.
        previous: summaries of the points before these, so a live view folds only new points.

    Returns:
        metric name → :class:`MetricSummary`, for every metric in ``points`` or ``previous``.
    """
    result: dict[str, MetricSummary] = dict(previous or {})
    for name, series in points.items():
        if not series:
            continue
        before = result.get(name)
        low = before.min if before else math.nan
        high = before.max if before else math.nan
        finite = [v for _, _, v in series if math.isfinite(v)]
        if finite:
            low = min(finite) if math.isnan(low) else min(low, *finite)
            high = max(finite) if math.isnan(high) else max(high, *finite)
        step, _, last = series[-1]
        count = len(series) + (before.count if before else 0)
        result[name] = MetricSummary(last=last, min=low, max=high, step=step, count=count)
    return result


__all__ = [
    "METRICS_FILE",
    "MetricLine",
    "MetricSummary",
    "MetricsBatch",
    "MetricsReader",
    "Point",
    "Points",
    "decode_cursor",
    "encode_cursor",
    "finite_or_none",
    "parse_line",
    "read_lines",
    "summarise",
]
