"""Shape Python API results into the JSON the sidebar reads (mirrored in labextension/src/types.ts).

Pure functions over API return values; no I/O. The handlers call them after the API call.
"""

from __future__ import annotations

from typing import Any

from .serialize import _cell


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
