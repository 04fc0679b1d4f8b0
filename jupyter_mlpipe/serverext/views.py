"""Shape Python API results into the JSON the sidebar reads (mirrored in labextension/src/types.ts).

Pure functions over API return values; no I/O. The handlers call them after the API call.
"""

from __future__ import annotations

from typing import Any

from .serialize import _cell

# Columns of ``Mlpipe.experiments()`` that are neither parameters nor metrics.
FIXED_COLUMNS = (
    "id",
    "group",
    "status",
    "attempt",
    "started",
    "finished",
    "duration",
    "created",
    "exit_code",
    "message",
    "pid",
)
_SUFFIXES = (".min", ".max", ".best", ".last", ".step")


def split_columns(frame: Any) -> tuple[list[str], list[str]]:
    """Tell parameter columns from metric columns of an experiments DataFrame.

    The frame may name them in ``frame.attrs["params"]`` / ``frame.attrs["metrics"]``; otherwise
    a metric is a column ``m`` that has an ``m.min`` or ``m.max`` sibling, and every other column
    that is not a fixed one is a parameter.
    """
    columns = [str(c) for c in frame.columns]
    attrs = getattr(frame, "attrs", {}) or {}
    if "params" in attrs and "metrics" in attrs:
        return [str(p) for p in attrs["params"]], [str(m) for m in attrs["metrics"]]
    present = set(columns)
    metrics = [c for c in columns if f"{c}.min" in present or f"{c}.max" in present]
    derived = {f"{m}{s}" for m in metrics for s in _SUFFIXES}
    params = [
        c for c in columns if c not in FIXED_COLUMNS and c not in derived and c not in metrics
    ]
    return params, metrics


def experiment_rows(frame: Any) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Rows ``{id, status, attempt, started, finished, duration, params, metrics}``.

    ``metrics`` maps each metric to ``{"last", "min", "max"}``. Returns the rows and the
    parameter and metric names (column order).
    """
    params, metrics = split_columns(frame)
    columns = [str(c) for c in frame.columns]
    position = {c: i for i, c in enumerate(columns)}
    fixed = [c for c in FIXED_COLUMNS if c in position and c != "id"]
    rows = []
    for eid, values in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        row: dict[str, Any] = {"id": int(eid)}
        for column in fixed:
            row[column] = _cell(values[position[column]])
        row["params"] = {p: _cell(values[position[p]]) for p in params if p in position}
        row["metrics"] = {
            m: {
                "last": _cell(values[position[m]]) if m in position else None,
                "min": _cell(values[position[f"{m}.min"]]) if f"{m}.min" in position else None,
                "max": _cell(values[position[f"{m}.max"]]) if f"{m}.max" in position else None,
            }
            for m in metrics
        }
        rows.append(row)
    return rows, params, metrics


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many experiments are in each status."""
    counts: dict[str, int] = {}
    for row in rows:
        key = str(row.get("status") or "unknown")
        counts[key] = counts.get(key, 0) + 1
    return counts


def metric_points(points: Any) -> dict[str, dict[str, list[list[Any]]]]:
    """``{experiment: {metric: [[step, time, value], ...]}}`` with string keys, finite values."""
    out: dict[str, dict[str, list[list[Any]]]] = {}
    for eid, per_metric in (points or {}).items():
        out[str(eid)] = {
            str(name): [[_cell(step), _cell(when), _cell(value)] for step, when, value in series]
            for name, series in per_metric.items()
        }
    return out
