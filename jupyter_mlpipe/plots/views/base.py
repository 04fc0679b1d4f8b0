"""What every view shares: the experiments it can use, and the record it returns.

A view is computed from the read model's rows (:class:`~jupyter_mlpipe.store.ExperimentRow`)
and the group's objective. Only succeeded experiments with a finite last value of the objective's
metric take part (the value ``best`` compares); every other experiment is counted in
:attr:`View.skipped` by why it was left out, so a running group's partial view says how much of
the group it shows. When a view cannot be drawn, its record says why in :attr:`View.reason`
instead of raising: a notebook shows the sentence, the REST API returns it.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...store import ExperimentRow, Objective


@dataclass(frozen=True)
class Trial:
    """One experiment a view uses: its id, params and objective value."""

    experiment: int
    params: Mapping[str, Any]
    value: float


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def plain(value: Any) -> Any:
    """A param value as JSON-ready: scalars as they are, anything else as its JSON text."""
    if value is None or isinstance(value, (bool, str)) or _is_number(value):
        return value
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def usable(
    rows: Iterable[ExperimentRow], objective: Objective
) -> tuple[list[Trial], dict[str, int]]:
    """The trials a view can use, by id, and how many experiments were left out, by why."""
    trials: list[Trial] = []
    skipped: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r.id):
        value = row.last(objective.metric) if row.status == "succeeded" else None
        if value is not None:
            trials.append(Trial(row.id, {k: plain(v) for k, v in row.params.items()}, value))
            continue
        why = (
            f"no {objective.metric}"
            if row.status == "succeeded"
            else "still running"
            if row.status in ("queued", "running")
            else row.status
        )
        skipped[why] = skipped.get(why, 0) + 1
    return trials, skipped


def is_numeric(values: Iterable[Any]) -> bool:
    """True when every value is a finite int or float (bools are categories)."""
    values = list(values)
    return bool(values) and all(_is_number(v) for v in values)


@dataclass(frozen=True)
class View:
    """A view of a group's results.

    Attributes:
        group: the group id (0 for a comparison across groups).
        objective: the objective the view is computed for (None when the group has none).
        reason: why the view cannot be drawn, "" when it can.
        included: how many experiments the view uses.
        skipped: experiments left out, by why ("still running", "failed", "no accuracy" ...).
    """

    kind: ClassVar[str] = "view"

    group: int
    objective: Objective | None
    reason: str = ""
    included: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)

    @property
    def drawable(self) -> bool:
        return not self.reason

    def to_dict(self) -> dict[str, Any]:
        """Strict JSON (the REST answer)."""
        return {
            "kind": self.kind,
            "group": self.group,
            "objective": self.objective.to_dict() if self.objective else None,
            "reason": self.reason,
            "included": self.included,
            "skipped": dict(self.skipped),
            **self._data(),
        }

    def _data(self) -> dict[str, Any]:
        return {}

    def summary(self) -> str:
        """One line: what the view shows, or why it cannot be drawn."""
        left = ", ".join(f"{n} {why}" for why, n in self.skipped.items())
        what = f"{self.kind} of group {self.group}" if self.group else self.kind
        if self.reason:
            return f"{what}: cannot be drawn — {self.reason}"
        return f"{what}: {self.included} experiments" + (f" ({left} left out)" if left else "")

    def __repr__(self) -> str:
        return f"<{self.summary()}>"

    def figure(self) -> Any:
        """A matplotlib Figure of the view (None when it cannot be drawn)."""
        if self.reason:
            return None
        from .draw import draw

        return draw(self)

    def _repr_png_(self) -> bytes | None:
        figure = self.figure()
        if figure is None:
            return None
        from ..figure import encode_png

        figure.canvas.draw()
        return encode_png(figure.canvas.buffer_rgba(), colors=256)

    def _repr_html_(self) -> str | None:
        """Only for a view that cannot be drawn: the sentence that says why."""
        if not self.reason:
            return None
        what = html.escape(self.summary().split(":", 1)[0])
        return f"<p><b>{what}</b>: cannot be drawn — {html.escape(self.reason)}</p>"

    def show(self) -> None:
        """Display the view in a notebook (its picture, or why it cannot be drawn)."""
        try:
            from IPython.display import display
        except ImportError:  # outside IPython: say what it is
            print(self.summary())
            return
        display(self)


def no_objective(group: int) -> str:
    return (
        f"group {group} has no objective — give it one with `mlpipe objective {group} NAME:max`"
        " (or objective= when you sweep)"
    )


def too_few(
    trials: list[Trial], skipped: Mapping[str, int], objective: Objective, need: int
) -> str:
    """The reason a view needs more usable experiments, or "" when it has enough."""
    if len(trials) >= need:
        return ""
    left = ", ".join(f"{n} {why}" for why, n in skipped.items())
    return (
        f"it needs {need} succeeded experiment{'s' if need > 1 else ''} with a finite"
        f" {objective.metric!r}, and has {len(trials)}" + (f" ({left})" if left else "")
    )


def gather(
    group: int, rows: Iterable[ExperimentRow], objective: Objective | None, need: int
) -> tuple[list[Trial], dict[str, int], str]:
    """``(trials, skipped, reason)`` for a view that needs ``need`` usable experiments."""
    if objective is None:
        return [], {}, no_objective(group)
    trials, skipped = usable(rows, objective)
    return trials, skipped, too_few(trials, skipped, objective, need)
