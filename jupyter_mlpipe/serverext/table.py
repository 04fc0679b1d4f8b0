"""A group's experiments table, kept current by reading only what changed on disk.

The sidebar asks for a group's table every second or two. Rebuilding it from scratch means
opening three files per experiment and parsing every metric line each time (hundreds of
milliseconds for a 1,000-experiment group). :class:`ExperimentTable` instead

* follows the metric logs with a :class:`~jupyter_mlpipe.monitor.MetricsReader` (only appended
  bytes are read) and folds new points into running last/min/max summaries;
* re-reads ``status.json`` only when its ``stat`` (inode, mtime, size) changed — it is replaced
  atomically, so a new version always has a new inode — and ``params.json`` (written once, when
  the experiment is created) once.

Every call still looks at the files, so the rows always equal the store: the object holds parsed
copies, never state of its own. Rows have the shape of :func:`.views.experiment_rows`.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..monitor import MetricsReader, MetricSummary, summarise
from ..store.files import read_json


def _iso(value: Any) -> str | None:
    if not isinstance(value, (int, float)):
        return None
    return _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc).isoformat()


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


class ExperimentTable:
    """Rows of the experiments in one group folder.

    ``params.json`` is written once, when the experiment is created, so it is read once;
    ``status.json`` is checked by ``stat`` on every call; a row is rebuilt only when its status
    file or its metrics changed.

    Args:
        group_dir: ``<outputs>/<user>/<project>/groups/<group>``.
    """

    def __init__(self, group_dir: Path) -> None:
        self.group_dir = Path(group_dir)
        self._base = str(self.group_dir)
        self._group = int(self.group_dir.name) if self.group_dir.name.isdigit() else None
        self._reader = MetricsReader(self.group_dir)
        self._summaries: dict[int, dict[str, MetricSummary]] = {}
        self._params: dict[int, dict[str, Any]] = {}
        self._rows: dict[int, tuple[tuple[int, int, int], dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def rows(self) -> tuple[list[dict[str, Any]], list[str], list[str]]:
        """The current rows, parameter names and metric names (in order of appearance).

        The row dicts are shared with later calls: callers must not modify them.
        """
        with self._lock:
            batch = self._reader.read()
            changed = set(batch.reset) | set(batch.points)
            for eid in batch.reset:
                self._summaries.pop(eid, None)
            for eid, points in batch.points.items():
                self._summaries[eid] = summarise(points, self._summaries.get(eid))
            rows = [self._row(eid, eid in changed) for eid in self._experiment_ids()]
        params: dict[str, None] = {}
        metrics: dict[str, None] = {}
        for row in rows:
            params.update(dict.fromkeys(row["params"]))
            metrics.update(dict.fromkeys(row["metrics"]))
        return rows, list(params), list(metrics)

    def _experiment_ids(self) -> list[int]:
        try:
            with os.scandir(self._base) as entries:
                return sorted(int(e.name) for e in entries if e.name.isdigit() and e.is_dir())
        except FileNotFoundError:
            return []

    def _row(self, eid: int, metrics_changed: bool) -> dict[str, Any]:
        folder = os.path.join(self._base, str(eid))
        try:
            st = os.stat(os.path.join(folder, "status.json"))
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = (0, 0, 0)
        held = self._rows.get(eid)
        if held is not None and held[0] == key and not metrics_changed:
            return held[1]
        row = self._build(eid, folder, key)
        self._rows[eid] = (key, row)
        return row

    def _build(self, eid: int, folder: str, key: tuple[int, int, int]) -> dict[str, Any]:
        status = _read(os.path.join(folder, "status.json")) if key != (0, 0, 0) else {}
        if eid not in self._params:
            params = _read(os.path.join(folder, "params.json"))
            if params is None:  # not written yet: try again next time
                params = {}
            else:
                self._params[eid] = params
        else:
            params = self._params[eid]
        status = status or {}
        started, finished = status.get("started"), status.get("finished")
        duration = (
            finished - started
            if isinstance(started, (int, float)) and isinstance(finished, (int, float))
            else None
        )
        return {
            "id": eid,
            "group": self._group,
            "status": status.get("status", "queued"),
            "attempt": status.get("attempt"),
            "started": _iso(started),
            "finished": _iso(finished),
            "duration": duration,
            "params": params if isinstance(params, dict) else {},
            "metrics": {
                name: {"last": _finite(s.last), "min": _finite(s.min), "max": _finite(s.max)}
                for name, s in self._summaries.get(eid, {}).items()
            },
        }


def _read(path: str) -> Any:
    try:
        return read_json(Path(path))
    except FileNotFoundError:  # replaced or not yet written: the next call reads it
        return None


class TableCache:
    """A few :class:`ExperimentTable` objects by group folder, least recently used dropped."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._tables: OrderedDict[Path, ExperimentTable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, group_dir: Path) -> ExperimentTable:
        with self._lock:
            table = self._tables.pop(group_dir, None) or ExperimentTable(group_dir)
            self._tables[group_dir] = table
            while len(self._tables) > self.size:
                self._tables.popitem(last=False)
            return table
