"""Building the API's tables (pandas DataFrames) from store records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..store import EXPERIMENT_STATES_ORDER, ExperimentRecord, ExperimentStatus, read_jsonl
from ..store.store import METRICS
from .records import ExperimentInfo, GroupInfo


def metric_summary(folder: Path) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(last, min, max) value of every metric an experiment logged."""
    points, _ = read_jsonl(folder / METRICS)
    last: dict[str, float] = {}
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    for point in points:
        values = point.get("values") if isinstance(point, dict) else None
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            if not isinstance(value, (int, float)):
                continue
            last[name] = value
            lo[name] = min(lo.get(name, value), value)
            hi[name] = max(hi.get(name, value), value)
    return last, lo, hi


def experiment_info(project: str, rec: ExperimentRecord) -> ExperimentInfo:
    last, _, _ = metric_summary(Path(rec.path))
    s = rec.state
    return ExperimentInfo(
        id=rec.id,
        group=rec.group,
        project=project,
        status=s.status,
        params=dict(rec.params),
        metrics=last,
        path=rec.path,
        attempt=s.attempt,
        started=s.started,
        finished=s.finished,
        exit_code=s.exit_code,
        message=s.message,
    )


def experiments_frame(records: list[ExperimentRecord], sort: str | None = None) -> Any:
    """One row per experiment: status, timing, params and metrics (last, min, max).

    Args:
        sort: a column name, ``-`` in front for descending (``-accuracy``).
    """
    import pandas as pd

    rows = []
    for rec in records:
        last, lo, hi = metric_summary(Path(rec.path))
        s = rec.state
        row: dict[str, Any] = {
            "id": rec.id,
            "group": rec.group,
            "status": s.status,
            "attempt": s.attempt,
            "started": _ts(s.started),
            "finished": _ts(s.finished),
            "duration": s.duration,
        }
        row.update(rec.params)
        row.update(last)
        row.update({f"{k}.min": v for k, v in lo.items()})
        row.update({f"{k}.max": v for k, v in hi.items()})
        row["message"] = s.message
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(
            columns=["id", "group", "status", "attempt", "started", "finished", "duration"]
        )
    frame = frame.set_index("id")
    if sort:
        column = sort.lstrip("-")
        if column not in frame.columns and column != "id":
            from ..errors import InvalidArgument

            raise InvalidArgument(
                f"cannot sort by {column!r}: no such column — columns are"
                f" {', '.join(map(str, frame.columns))}"
            )
        ascending = not sort.startswith("-")
        if column == "id":
            return frame.sort_index(ascending=ascending)
        try:
            return frame.sort_values(column, ascending=ascending)
        except TypeError:  # mixed value types (numbers and strings): order by their text
            return frame.sort_values(column, ascending=ascending, key=lambda c: c.astype(str))
    return frame


def group_counts(states: list[ExperimentStatus]) -> dict[str, int]:
    """How many experiments are in each state, in table order."""
    counts = dict.fromkeys(EXPERIMENT_STATES_ORDER, 0)
    for state in states:
        counts[state.status] = counts.get(state.status, 0) + 1
    return counts


def group_info(record: Any, counts: dict[str, int]) -> GroupInfo:
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
    )


def groups_frame(infos: list[GroupInfo]) -> Any:
    import pandas as pd

    rows = [
        {
            "id": g.id,
            "name": g.name,
            "status": g.status,
            "algorithm": g.algorithm,
            "backend": g.backend,
            "created": _ts(g.created),
            "planned": g.planned,
            **g.counts,
        }
        for g in infos
    ]
    frame = (
        pd.DataFrame(rows)
        if rows
        else pd.DataFrame(
            columns=[
                "id",
                "name",
                "status",
                "algorithm",
                "backend",
                "created",
                "planned",
                *EXPERIMENT_STATES_ORDER,
            ]
        )
    )
    return frame.set_index("id")


def _ts(value: float | None) -> Any:
    import pandas as pd

    return pd.NaT if value is None else pd.Timestamp(value, unit="s", tz="UTC")
