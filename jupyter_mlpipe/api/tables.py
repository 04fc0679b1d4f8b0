"""The API's tables for people: pandas DataFrames built from the read model's records.

Nothing here reads a file: rows come from :class:`~jupyter_mlpipe.store.GroupReader`, so a
DataFrame shows exactly what the REST API, the plots and the widgets show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidArgument
from ..store import ExperimentRow, GroupRecord, Objective
from ..store.records import STATES_SHOWN
from .records import GroupInfo, param_names

_EXPERIMENT_COLUMNS = ["group", "status", "attempt", "started", "finished", "duration"]
_GROUP_COLUMNS = ["name", "status", "objective", "algorithm", "backend", "created", "planned"]


#: The column sets of :func:`experiments_frame`.
COLUMN_SETS = ("compare", "all")


def experiments_frame(
    rows: Sequence[ExperimentRow],
    sort: str | None = None,
    columns: str = "all",
    objective: Objective | None = None,
) -> Any:
    """One row per experiment (index ``id``).

    With ``columns="all"``: status, attempt, timing, every param, every metric's last value,
    then its ``.min`` and ``.max``, and ``message``. With ``columns="compare"``, what a person
    compares: the params whose values differ, the objective's metric, the other metrics' last
    values, ``status``, ``duration`` (seconds) and ``message`` (the one-line reason of a failure;
    only when some experiment has one).

    A metric whose last value is missing (logged as NaN, inf or null) shows as NaN. An experiment
    whose records are damaged shows status ``unknown`` with the reason in ``message``.

    Args:
        sort: a column name, ``-`` in front for descending (``-accuracy``).
        columns: ``"compare"`` or ``"all"``.
        objective: the group's objective (its metric comes first among the metrics).

    Raises:
        InvalidArgument: ``sort`` names no column, or ``columns`` is not a known set.
    """
    if columns not in COLUMN_SETS:
        raise InvalidArgument(
            f"columns is 'compare' or 'all', got {columns!r} — 'all' shows every column"
        )
    frame = _all_columns(rows)
    if columns == "compare":
        frame = _compare_columns(frame, rows, objective)
    return _sorted(frame, sort) if sort else frame


def _compare_columns(frame: Any, rows: Sequence[ExperimentRow], objective: Objective | None) -> Any:
    _, varying = param_names(rows)
    metrics: dict[str, None] = {}
    if objective is not None and any(objective.metric in r.metrics for r in rows):
        metrics[objective.metric] = None
    for row in rows:
        metrics.update(dict.fromkeys(row.metrics))
    keep = [*varying, *metrics, "status", "duration"]
    if "message" in frame.columns and frame["message"].fillna("").astype(str).str.len().any():
        keep.append("message")
    frame = frame[[c for c in keep if c in frame.columns]].copy()
    frame["duration"] = frame["duration"].astype(float).round(1)  # seconds, as people read them
    return frame


def _all_columns(rows: Sequence[ExperimentRow]) -> Any:
    import pandas as pd

    table = []
    for row in rows:
        s = row.state
        record: dict[str, Any] = {
            "id": row.id,
            "group": row.group,
            "status": s.status,
            "attempt": s.attempt,
            "started": _ts(s.started),
            "finished": _ts(s.finished),
            "duration": s.duration,
        }
        record.update(row.params)
        for name, summary in row.metrics.items():
            record[name] = summary.last
        for name, summary in row.metrics.items():
            record[f"{name}.min"] = summary.min
            record[f"{name}.max"] = summary.max
        record["message"] = s.message
        table.append(record)
    frame = pd.DataFrame(table) if table else pd.DataFrame(columns=["id", *_EXPERIMENT_COLUMNS])
    return frame.set_index("id")


def _sorted(frame: Any, sort: str) -> Any:
    column = sort.lstrip("-")
    ascending = not sort.startswith("-")
    if column == "id":
        return frame.sort_index(ascending=ascending)
    if column not in frame.columns:
        raise InvalidArgument(
            f"cannot sort by {column!r}: no such column — columns are"
            f" {', '.join(map(str, frame.columns))}"
        )
    try:
        return frame.sort_values(column, ascending=ascending)
    except TypeError:  # mixed value types (numbers and strings): order by their text
        return frame.sort_values(column, ascending=ascending, key=lambda c: c.astype(str))


def group_info(
    record: GroupRecord, counts: dict[str, int], best: ExperimentRow | None
) -> GroupInfo:
    """The API's record of a group: its record, status counts and current best experiment."""
    value = best.last(record.objective.metric) if best is not None and record.objective else None
    return GroupInfo(
        id=record.id,
        project=record.project,
        name=record.name,
        status=record.status,
        algorithm=record.algorithm,
        backend=record.backend,
        concurrency=record.concurrency,
        planned=record.planned,
        created=record.created,
        finished=record.finished,
        message=record.message,
        counts=counts,
        objective=record.objective,
        best=None if best is None else best.id,
        best_value=value,
        metadata=dict(record.metadata),
    )


def groups_frame(infos: Sequence[GroupInfo]) -> Any:
    """One row per group (index ``id``) with its objective and status counts."""
    import pandas as pd

    rows = [
        {
            "id": g.id,
            "name": g.name,
            "status": g.status,
            "objective": str(g.objective) if g.objective else "",
            "algorithm": g.algorithm,
            "backend": g.backend,
            "created": _ts(g.created),
            "planned": g.planned,
            **g.counts,
        }
        for g in infos
    ]
    columns = ["id", *_GROUP_COLUMNS, *STATES_SHOWN]
    return (pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)).set_index("id")


def _ts(value: float | None) -> Any:
    import pandas as pd

    if value is None or not math.isfinite(value):
        return pd.NaT
    return pd.Timestamp(value, unit="s", tz="UTC")
