"""What the API returns: small frozen records with ``to_dict`` and rich notebook reprs."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

_BADGE = {
    "succeeded": "#2e7d32",
    "running": "#1565c0",
    "queued": "#757575",
    "failed": "#c62828",
    "timed-out": "#c62828",
    "stopped": "#ef6c00",
    "created": "#757575",
}


def badge(status: str) -> str:
    """An HTML status badge (used by the notebook reprs)."""
    colour = _BADGE.get(status, "#757575")
    return (
        f'<span style="background:{colour};color:white;border-radius:3px;'
        f'padding:0 4px;font-size:90%">{html.escape(status)}</span>'
    )


@dataclass(frozen=True)
class ExperimentInfo:
    """One experiment as the API reports it.

    Attributes:
        metrics: the last value logged for each metric.
    """

    id: int
    group: int
    project: str
    status: str
    params: dict[str, Any]
    metrics: dict[str, float]
    path: str
    attempt: int = 0
    started: float | None = None
    finished: float | None = None
    exit_code: int | None = None
    message: str = ""

    @property
    def duration(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "duration": self.duration}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
            for k, v in {**self.params, **self.metrics}.items()
        )
        return (
            f"<b>experiment {self.id}</b> (group {self.group}) {badge(self.status)}"
            f"<table>{rows}</table><small>{html.escape(self.path)}</small>"
        )


@dataclass(frozen=True)
class GroupInfo:
    """One group: its record and how many experiments are in each state."""

    id: int
    project: str
    name: str
    status: str
    algorithm: str
    backend: str
    concurrency: int
    planned: int | None
    created: float
    finished: float | None
    message: str
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_html_(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n)
        return (
            f"<b>group {self.id}</b> {html.escape(self.name)} {badge(self.status)} "
            f"<small>{html.escape(self.algorithm)} on {html.escape(self.backend)}: "
            f"{html.escape(counts or 'no experiments yet')}</small>"
            + (f"<br><small>{html.escape(self.message)}</small>" if self.message else "")
        )


@dataclass(frozen=True)
class Prediction:
    """A model server's answer.

    Attributes:
        response: the decoded SeldonMessage.
        names: the output names (``t:0`` ... or the model's class names).
        values: the output as nested lists (rows of the batch).
    """

    response: dict[str, Any]
    names: list[str]
    values: Any

    @property
    def top(self) -> list[tuple[str, float]]:
        """(name, score) pairs of the first row, best first (for probability outputs)."""
        row = self.values[0] if self.values and isinstance(self.values[0], list) else self.values
        if not isinstance(row, list) or not all(isinstance(v, (int, float)) for v in row):
            return []
        names = self.names if len(self.names) == len(row) else [str(i) for i in range(len(row))]
        return sorted(zip(names, map(float, row), strict=True), key=lambda kv: -kv[1])

    @property
    def label(self) -> str | None:
        """The best-scoring output name, when the output is a score vector."""
        top = self.top
        return top[0][0] if top else None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "top": self.top[:3], "response": self.response}

    def _repr_html_(self) -> str:
        top = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{p:.4f}</td></tr>" for n, p in self.top[:3]
        )
        head = (
            f"<b>prediction: {html.escape(str(self.label))}</b>"
            if self.label
            else "<b>prediction</b>"
        )
        return head + (
            f"<table>{top}</table>" if top else f"<pre>{html.escape(str(self.values))}</pre>"
        )
