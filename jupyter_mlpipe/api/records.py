"""What the API returns: small frozen records with ``to_dict`` and rich notebook reprs."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..store import ExperimentRow, Objective
from ..store.display import Card, Shown, badge, when

#: One experiment as the API reports it: the read model's record (see
#: :class:`jupyter_mlpipe.store.ExperimentRow`): ``metrics`` maps each metric to its last/min/max
#: summary, ``last(name)`` gives the last finite value.
ExperimentInfo = ExperimentRow


@dataclass(frozen=True)
class GroupInfo:
    """One group: its record, how many experiments are in each state, and its best so far.

    Attributes:
        objective: what the group optimises (None when neither the spec nor the user said).
        best: the id of the best succeeded experiment by the objective, None without one.
        best_value: the objective metric's last value of that experiment.
    """

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
    objective: Objective | None = None
    best: int | None = None
    best_value: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["objective"] = self.objective.to_dict() if self.objective else None
        return data

    def _repr_html_(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n)
        best = (
            f"<br><small>best by {html.escape(str(self.objective))}: experiment {self.best}"
            f" ({self.best_value:.4g})</small>"
            if self.best is not None and self.best_value is not None
            else ""
        )
        return (
            f"<b>group {self.id}</b> {html.escape(self.name)} {badge(self.status)} "
            f"<small>{html.escape(self.algorithm)} on {html.escape(self.backend)}: "
            f"{html.escape(counts or 'no experiments yet')}</small>"
            + (f"<br><small>{html.escape(self.message)}</small>" if self.message else "")
            + best
        )


@dataclass(frozen=True)
class StopOutcome:
    """What a stop request did.

    Attributes:
        target: ``"group"`` or ``"experiment"``.
        id: the group or experiment id.
        stopping: True when running work was asked to stop; False when it had already ended.
        message: the same as a sentence.
    """

    target: str
    id: int
    stopping: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def param_names(rows: Sequence[ExperimentRow]) -> tuple[list[str], list[str]]:
    """Every param name (the varying ones first) and the names whose values differ.

    A param counts as varying when two experiments hold different values for it, or when some
    experiment lacks it; with a single experiment nothing varies.
    """
    first: dict[str, Any] = {}
    differs: set[str] = set()
    for row in rows:
        for name, value in row.params.items():
            if name not in first:
                first[name] = value
                if row is not rows[0]:
                    differs.add(name)  # missing from an earlier experiment
            elif name not in differs and value != first[name]:
                differs.add(name)
    for name in first:
        if name not in differs and any(name not in row.params for row in rows):
            differs.add(name)
    varying = [n for n in first if n in differs]
    constant = [n for n in first if n not in differs]
    return [*varying, *constant], varying


@dataclass(frozen=True)
class GroupDetail:
    """A group with all its experiments: what the sidebar and the dashboard show.

    Attributes:
        params: every param name, the ones whose values differ between experiments first.
        varying: the param names whose values differ between experiments.
        metrics: every metric name logged so far, in order of first appearance.
    """

    group: GroupInfo
    experiments: list[ExperimentRow]
    params: list[str]
    varying: list[str]
    metrics: list[str]

    @classmethod
    def build(cls, info: GroupInfo, rows: list[ExperimentRow]) -> GroupDetail:
        params, varying = param_names(rows)
        metrics: dict[str, None] = {}
        for row in rows:
            metrics.update(dict.fromkeys(row.metrics))
        return cls(info, rows, params, varying, list(metrics))

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group.to_dict(),
            "experiments": [row.to_dict() for row in self.experiments],
            "params": self.params,
            "varying": self.varying,
            "metrics": self.metrics,
            "counts": self.group.counts,
        }


@dataclass(frozen=True)
class DeploymentInfo(Shown):
    """A deployment with its live health.

    Attributes:
        health: ``healthy``, ``starting``, ``unhealthy``, ``stale`` or ``unknown``.
        detail: why it is in that state (the health check's answer, an error).
        url: where it answers (the local server's base URL or the cluster endpoint).
        image: the image it runs ("" when served from a folder).
        folder: the package folder it serves.
        created: when it was deployed (seconds since the epoch), None when unknown.
    """

    name: str
    backend: str
    health: str
    url: str
    image: str
    folder: str
    created: float | None
    detail: str

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> DeploymentInfo:
        """Build from a deployer's status dict (every field checked: records can be damaged)."""

        def text(key: str, default: str = "") -> str:
            value = record.get(key)
            if value is None:
                return default
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace")
            return str(value)

        raw = record.get("created")
        created = (
            float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
        )
        return cls(
            name=text("name"),
            backend=text("backend", "local"),
            health=text("health", "unknown"),
            url=text("url") or text("endpoint"),
            image=text("image"),
            folder=text("folder"),
            created=created if created is not None and math.isfinite(created) else None,
            detail=text("detail"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def card(self) -> Card:
        """Where it answers, what it serves, and how to query it."""
        lines = [
            ("answers at", self.url or "—"),
            ("serves", self.image or self.folder or "—"),
            ("backend", self.backend),
            ("deployed", when(self.created)),
        ]
        steps = [f"mlpipe predict {self.name} INPUT", f"mlpipe undeploy {self.name}"]
        return Card(f"deployment {self.name}", self.health, lines, steps, self.detail)


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
        """(name, probability) pairs of the first row, best first — when the row is a
        probability vector (non-negative scores summing to 1); else empty (a regression's
        values are not classes)."""
        row = self.values[0] if self.values and isinstance(self.values[0], list) else self.values
        if not isinstance(row, list) or not row:
            return []
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row):
            return []
        scores = [float(v) for v in row]
        if min(scores) < 0 or not math.isclose(sum(scores), 1.0, abs_tol=1e-3):
            return []
        names = self.names if len(self.names) == len(row) else [str(i) for i in range(len(row))]
        return sorted(zip(names, scores, strict=True), key=lambda kv: -kv[1])

    @property
    def label(self) -> str | None:
        """The most probable class, when the output is a probability vector."""
        top = self.top
        return top[0][0] if top else None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "top": self.top[:3], "response": self.response}

    def to_text(self) -> str:
        """The class and the top probabilities, or the raw values when there are no scores."""
        if not self.top:
            return f"prediction: {self.values}"
        rows = "\n".join(f"  {name:>8}  {p:.4f}" for name, p in self.top[:3])
        return f"prediction: {self.label}\n{rows}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.to_text())

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
