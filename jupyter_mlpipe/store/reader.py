"""The read model: the one component that reads an experiment's records.

Everything any front end shows about experiments — the API's DataFrames and records, ``best``,
the live plots, the dashboard, the REST API behind the sidebar — is built from the typed records
this module returns, so every view shows the same rows and a damaged record looks the same
everywhere. The writers (:class:`~jupyter_mlpipe.store.store.Store`, the supervisor, the tracking
helper) live elsewhere; they read their own records back through the functions here.

Files of an experiment folder and how they are read:

* ``status.json`` (replaced atomically by the supervisor): :func:`read_status`. A missing record
  reads as ``queued`` (the folder is being created); one that is not a JSON object of the status
  fields reads as status ``unknown`` with the reason in ``message`` and in
  :attr:`ExperimentRow.damaged` — never an exception, never a guess at ``failed``.
* ``params.json`` (written once): :func:`read_params`; a damaged one reads as no params, with
  the reason in ``damaged``.
* ``metrics.jsonl`` (append-only): :mod:`.metrics` decides what a line means.
* ``events.jsonl`` of a group: :func:`read_events`.

:class:`GroupReader` keeps a group's rows current by reading only what changed: the status record
when its ``stat`` changed (a new version is a new inode), params once, and only the bytes appended
to each metrics log. A long-lived caller (the Jupyter server, a notebook's dashboard) keeps one
reader per group through :class:`Readers`; an idle refresh of 1,000 experiments costs a directory
listing and two ``stat`` calls per experiment.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .display import Card, Shown, number, span, when
from .metrics import (
    METRICS_FILE,
    MetricsBatch,
    MetricsReader,
    MetricSummary,
    finite_or_none,
    summarise,
)
from .records import STATES_SHOWN, UNKNOWN, ExperimentStatus, Objective

PARAMS, STATUS, LOG = "params.json", "status.json", "output.log"
METRICS = METRICS_FILE
GROUP, SPEC, EVENTS = "group.json", "spec.yml", "events.jsonl"

_NO_FILE = (0, 0, 0)


def _load_json(path: str | os.PathLike[str]) -> Any:
    """The decoded file; raises FileNotFoundError, or ValueError when it is not JSON."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_status(folder: str | os.PathLike[str]) -> ExperimentStatus:
    """The status record of the experiment in ``folder`` (see the module doc for damage)."""
    return _status_and_damage(os.path.join(folder, STATUS))[0]


def _status_and_damage(path: str) -> tuple[ExperimentStatus, str]:
    try:
        data = _load_json(path)
    except FileNotFoundError:
        return ExperimentStatus(), ""
    except (OSError, ValueError) as exc:
        return _damaged_status(f"{STATUS} is unreadable ({_why(exc)})")
    if not isinstance(data, dict):
        return _damaged_status(f"{STATUS} holds {type(data).__name__}, not a status record")
    problem = _status_problem(data)
    if problem:
        return _damaged_status(f"{STATUS} is damaged: {problem}")
    return ExperimentStatus.from_dict(data), ""


def _damaged_status(reason: str) -> tuple[ExperimentStatus, str]:
    return ExperimentStatus(status=UNKNOWN, message=reason), reason


_NUMBER_FIELDS = ("created", "started", "finished", "pid_create_time")
_INT_FIELDS = ("exit_code", "attempt", "pid")


def _status_problem(data: dict[str, Any]) -> str:
    """Why a decoded status object cannot be trusted, or "" when it can."""
    status = data.get("status", "queued")
    if status not in STATES_SHOWN or status == UNKNOWN:
        return f"status {str(status)[:40]!r} is not an experiment state"
    for name in _NUMBER_FIELDS:
        value = data.get(name)
        if value is not None and (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            return f"{name} {str(value)[:40]!r} is not a time"
    for name in _INT_FIELDS:
        value = data.get(name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**53
        ):
            return f"{name} {str(value)[:40]!r} is not an integer"
    for name in ("message", "reason"):
        if not isinstance(data.get(name, ""), str):
            return f"{name} is not text"
    return ""


def read_params(folder: str | os.PathLike[str]) -> tuple[dict[str, Any] | None, str]:
    """``(params, damage)``: None params when the record is not written yet."""
    try:
        data = _load_json(os.path.join(folder, PARAMS))
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError) as exc:
        return {}, f"{PARAMS} is unreadable ({_why(exc)})"
    if not isinstance(data, dict):
        return {}, f"{PARAMS} holds {type(data).__name__}, not the params"
    return data, ""


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """A group's event log, oldest first (complete JSON-object lines only)."""
    return read_object_lines(path)[0]


def read_object_lines(
    path: str | os.PathLike[str], offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """The complete JSON-object lines of an append-only log from byte ``offset``.

    Returns:
        The objects, and the offset just past the last complete line. A torn last line is left
        for the next call; a line that is not a JSON object is skipped; a missing file is empty.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n")
    objects = []
    for raw in data[: end + 1].splitlines():
        try:
            item = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if isinstance(item, dict):
            objects.append(item)
    return objects, offset + end + 1


def _why(exc: BaseException) -> str:
    return exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)[:120]


@dataclass(frozen=True)
class ExperimentRow(Shown):
    """One experiment as every view shows it.

    Attributes:
        state: the status record (status ``unknown`` when it could not be read).
        params: the experiment's params.
        metrics: metric name → last/min/max summary, in order of first appearance.
        path: the experiment's folder (its outputs path).
        damaged: why one of its records could not be read; "" when all could.
    """

    id: int
    group: int
    project: str
    state: ExperimentStatus
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, MetricSummary] = field(default_factory=dict)
    path: str = ""
    damaged: str = ""

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def duration(self) -> float | None:
        return self.state.duration

    @property
    def attempt(self) -> int:
        return self.state.attempt

    @property
    def started(self) -> float | None:
        return self.state.started

    @property
    def finished(self) -> float | None:
        return self.state.finished

    @property
    def exit_code(self) -> int | None:
        return self.state.exit_code

    @property
    def message(self) -> str:
        return self.state.message

    @property
    def reason(self) -> str:
        return self.state.reason

    def last(self, metric: str) -> float | None:
        """The metric's last value when it is a finite number, else None."""
        summary = self.metrics.get(metric)
        return None if summary is None else finite_or_none(summary.last)

    def card(self) -> Card:
        """What a person wants to know: params, last metrics, timing, and what to do next."""
        s = self.state
        lines = [
            ("params", ", ".join(f"{k}={number(v)}" for k, v in self.params.items()) or "—"),
            ("metrics", ", ".join(f"{k}={number(m.last)}" for k, m in self.metrics.items()) or "—"),
            ("started", when(s.started)),
            ("duration", span(s.duration)),
        ]
        if s.attempt > 1:
            lines.append(("attempt", str(s.attempt)))
        lines.append(("outputs", self.path))
        where = f" --project {self.project}" if self.project else ""  # ids are per project
        if self.status == "succeeded":
            steps = [
                f"mlpipe ship --experiment {self.id}{where}",
                f"mlpipe package {self.id} --name NAME{where}",
            ]
        else:
            steps = [f"mlpipe logs {self.id}{where}"]
        return Card(
            f"experiment {self.id} (group {self.group})", self.status, lines, steps, s.message
        )

    def to_dict(self) -> dict[str, Any]:
        """Strict JSON: non-finite metric values are None, times are seconds since the epoch."""
        return dict(self._json)

    @cached_property
    def _json(self) -> dict[str, Any]:
        # Rows are reused while their files are unchanged, so a polled table encodes each once.
        s = self.state
        return {
            "id": self.id,
            "group": self.group,
            "project": self.project,
            "status": s.status,
            "attempt": s.attempt,
            "created": s.created,
            "started": s.started,
            "finished": s.finished,
            "duration": s.duration,
            "exit_code": s.exit_code,
            "message": s.message,
            "reason": s.reason,
            "params": dict(self.params),
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
            "path": self.path,
            "damaged": self.damaged,
        }


def count_states(states: Iterable[str]) -> dict[str, int]:
    """How many experiments are in each state, every state present, in table order."""
    counts = dict.fromkeys(STATES_SHOWN, 0)
    for state in states:
        counts[state if state in counts else UNKNOWN] += 1
    return counts


def best_row(rows: Iterable[ExperimentRow], objective: Objective) -> ExperimentRow | None:
    """The succeeded experiment whose last value of the objective's metric is best.

    The last value is used because it is the one the saved checkpoint matches. Ties go to the
    lower id; experiments whose last value is missing (never logged, or not finite) never win.
    """
    best: tuple[float, int, ExperimentRow] | None = None
    for row in rows:
        value = row.last(objective.metric) if row.status == "succeeded" else None
        if value is None:
            continue
        if (
            best is None
            or objective.better(value, best[0])
            or (value == best[0] and row.id < best[1])
        ):
            best = (value, row.id, row)
    return None if best is None else best[2]


class GroupReader:
    """The rows of one group folder, kept current by reading only what changed.

    Thread-safe; every call looks at the files, so the rows always equal the store.

    Args:
        group_dir: ``<outputs>/<user>/<project>/groups/<group>``.
        project: the project name the rows carry.
    """

    def __init__(self, group_dir: str | os.PathLike[str], project: str = "") -> None:
        self.group_dir = Path(group_dir)
        self.project = project
        self._base = str(self.group_dir)
        self._group = int(self.group_dir.name) if self.group_dir.name.isdigit() else 0
        self._metrics = MetricsReader(self.group_dir)
        self._summaries: dict[int, dict[str, MetricSummary]] = {}
        self._params: dict[int, tuple[dict[str, Any], str]] = {}
        self._status: dict[int, tuple[tuple[int, int, int], ExperimentStatus, str]] = {}
        self._rows: dict[int, ExperimentRow] = {}
        self._lock = threading.Lock()

    def experiment_ids(self) -> list[int]:
        """Ids of the experiment folders, ascending (ASCII digit names only)."""
        try:
            with os.scandir(self._base) as entries:
                return sorted(
                    int(e.name)
                    for e in entries
                    if e.name.isascii() and e.name.isdigit() and e.is_dir(follow_symlinks=False)
                )
        except (FileNotFoundError, NotADirectoryError):
            return []

    def statuses(self) -> dict[int, ExperimentStatus]:
        """Every experiment's status record (no params or metrics read: cheap to poll)."""
        with self._lock:
            return {eid: self._state(eid)[0] for eid in self.experiment_ids()}

    def counts(self) -> dict[str, int]:
        """How many experiments are in each state (see :func:`count_states`)."""
        return count_states(s.status for s in self.statuses().values())

    def rows(self) -> list[ExperimentRow]:
        """Every experiment's row, by id."""
        with self._lock:
            ids = self.experiment_ids()
            batch = self._metrics.read(ids)
            for eid in batch.reset:
                self._summaries.pop(eid, None)
            for eid, points in batch.points.items():
                self._summaries[eid] = summarise(points, self._summaries.get(eid))
            changed = set(batch.reset) | set(batch.points)
            return [self._row(eid, eid in changed) for eid in ids]

    def row(self, experiment: int) -> ExperimentRow | None:
        """One experiment's row, or None when the group has no such experiment folder."""
        return next((r for r in self.rows() if r.id == int(experiment)), None)

    def metrics(
        self,
        cursor: str | None = None,
        experiments: Iterable[int] | None = None,
        max_bytes: int | None = None,
        max_points: int | None = None,
    ) -> MetricsBatch:
        """Metric points appended since ``cursor`` (stateless; paging and decimation as in
        :class:`~.metrics.MetricsReader`)."""
        return MetricsReader(
            self.group_dir, cursor, experiments, max_bytes=max_bytes, max_points=max_points
        ).read()

    # -- internals ------------------------------------------------------------------------------
    def _state(self, eid: int) -> tuple[ExperimentStatus, str]:
        """(status, damage) of one experiment, re-read only when its stat changed; lock held."""
        path = f"{self._base}/{eid}/{STATUS}"
        try:
            st = os.stat(path)
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = _NO_FILE
        held = self._status.get(eid)
        if held is not None and held[0] == key:
            return held[1], held[2]
        state, damage = (ExperimentStatus(), "") if key == _NO_FILE else _status_and_damage(path)
        self._status[eid] = (key, state, damage)
        return state, damage

    def _row(self, eid: int, metrics_changed: bool) -> ExperimentRow:
        state, status_damage = self._state(eid)
        held = self._rows.get(eid)
        # the held row is current when it carries the status record read now (``statuses()``
        # may have read a new one since the row was built) and no new metric arrived
        if (
            held is not None
            and held.state is state
            and not metrics_changed
            and eid in self._params
        ):
            return held
        if eid not in self._params:
            params, params_damage = read_params(os.path.join(self._base, str(eid)))
            if params is not None:  # written: it never changes again
                self._params[eid] = (params, params_damage)
        params, params_damage = self._params.get(eid, ({}, ""))
        row = ExperimentRow(
            id=eid,
            group=self._group,
            project=self.project,
            state=state,
            params=params,
            metrics=self._summaries.get(eid, {}),
            path=os.path.join(self._base, str(eid)),
            damaged="; ".join(d for d in (status_damage, params_damage) if d),
        )
        self._rows[eid] = row
        return row


class Readers:
    """One :class:`GroupReader` per group folder, the least recently used dropped past ``size``."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._readers: OrderedDict[tuple[str, str], GroupReader] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, group_dir: str | os.PathLike[str], project: str = "") -> GroupReader:
        key = (os.fspath(group_dir), project)
        with self._lock:
            reader = self._readers.pop(key, None) or GroupReader(group_dir, project)
            self._readers[key] = reader
            while len(self._readers) > self.size:
                self._readers.popitem(last=False)
            return reader


__all__ = [
    "EVENTS",
    "GROUP",
    "LOG",
    "METRICS",
    "PARAMS",
    "SPEC",
    "STATUS",
    "ExperimentRow",
    "GroupReader",
    "Readers",
    "best_row",
    "count_states",
    "read_events",
    "read_object_lines",
    "read_params",
    "read_status",
]
