"""HTML for the dashboard's tables: experiments with progress bars, deployments with health.

Pure functions from data to HTML text; every value is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api.records import badge

#: Param names that say how many steps (epochs) an experiment will log, in order of preference.
STEP_KEYS = ("epochs", "num_epochs", "n_epochs", "max_epochs", "steps", "num_steps", "max_steps")

_HEALTH = {
    "healthy": "succeeded",
    "ready": "succeeded",
    "available": "succeeded",
    "unhealthy": "failed",
    "failed": "failed",
    "starting": "running",
}


def total_steps(params: Mapping[str, Any]) -> int | None:
    """How many steps an experiment will log, when its params (declarations merged) say so."""
    for key in STEP_KEYS:
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return int(value)
    return None


@dataclass(frozen=True)
class Row:
    """One experiment as the dashboard shows it."""

    id: int
    status: str
    params: dict[str, Any] = field(default_factory=dict)
    latest: dict[str, float] = field(default_factory=dict)
    steps_done: int = 0
    message: str = ""  # the one-line reason of a failure, a stop, a damaged record

    @property
    def progress(self) -> float | None:
        """Fraction done in [0, 1]; None when the number of steps is unknown."""
        if self.status == "succeeded":
            return 1.0
        total = total_steps(self.params)
        if total is None:
            return None
        return min(1.0, self.steps_done / total)


def _bar(fraction: float | None) -> str:
    if fraction is None:
        return "<small>—</small>"
    pct = round(fraction * 100)
    return (
        f'<div title="{pct}%" style="width:90px;background:#eee;border-radius:3px">'
        f'<div style="width:{pct}%;background:#42a5f5;height:10px;border-radius:3px">'
        f"</div></div>"
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def experiments_html(
    rows: Sequence[Row], selected: int | None = None, best: int | None = None
) -> str:
    """The experiments table: id, status, progress, params, latest metrics."""
    if not rows:
        return "<i>no experiments yet</i>"
    params = sorted({k for r in rows for k in r.params})
    metrics = sorted({k for r in rows for k in r.latest})
    reasons = any(r.message for r in rows)
    columns = ["id", "status", "progress", *params, *metrics] + (["message"] if reasons else [])
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns)
    body = []
    for r in rows:
        style = ' style="background:#fff8e1"' if r.id == selected else ""
        mark = " ★" if r.id == best else ""
        cells = [f"{r.id}{mark}", badge(r.status), _bar(r.progress)]
        cells += [_fmt(r.params.get(p, "")) for p in params]
        cells += [_fmt(r.latest[m]) if m in r.latest else "" for m in metrics]
        if reasons:
            cells.append(f'<small style="color:#c62828">{html.escape(r.message)}</small>')
        body.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        f'<table class="mlpipe-experiments"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def group_label(group: int, name: str, status: str) -> str:
    """A group as the dashboard's dropdown lists it: id, name and current status."""
    return f"{group} · {name} · {status}"


def health_badge(health: str) -> str:
    """A badge showing ``health`` in the colour of the matching status."""
    return badge(_HEALTH.get(health, "queued")).replace(
        f">{html.escape(_HEALTH.get(health, 'queued'))}<", f">{html.escape(health)}<"
    )


def deployments_html(records: Sequence[Mapping[str, Any]]) -> str:
    """The deployments table: name, backend, health, URL."""
    if not records:
        return "<i>no deployments</i>"
    body = "".join(
        f"<tr><td>{html.escape(str(r.get('name')))}</td>"
        f"<td>{html.escape(str(r.get('backend')))}</td>"
        f"<td>{health_badge(str(r.get('health')))}</td>"
        f"<td><code>{html.escape(str(r.get('url') or ''))}</code></td></tr>"
        for r in records
    )
    return (
        "<table><thead><tr><th>name</th><th>backend</th><th>health</th><th>url</th></tr>"
        f"</thead><tbody>{body}</tbody></table>"
    )
