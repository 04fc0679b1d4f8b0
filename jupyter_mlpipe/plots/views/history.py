"""Optimisation history: the objective of each experiment in id order, with the best so far."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from ...store import ExperimentRow, Objective
from .base import View, gather


@dataclass(frozen=True, repr=False)
class History(View):
    """Points ``(experiment, value, best so far)`` in experiment order."""

    kind: ClassVar[str] = "history"

    experiments: tuple[int, ...] = ()
    values: tuple[float, ...] = ()
    best: tuple[float, ...] = ()

    def _data(self) -> dict[str, Any]:
        return {
            "points": [
                {"experiment": e, "value": v, "best": b}
                for e, v, b in zip(self.experiments, self.values, self.best, strict=True)
            ]
        }


def history(group: int, rows: Iterable[ExperimentRow], objective: Objective | None) -> History:
    """The group's optimisation history for ``objective``."""
    trials, skipped, reason = gather(group, rows, objective, 1)
    if reason or objective is None:
        return History(group, objective, reason=reason, skipped=skipped)
    best: list[float] = []
    for t in trials:
        best.append(t.value if not best or objective.better(t.value, best[-1]) else best[-1])
    return History(
        group,
        objective,
        included=len(trials),
        skipped=skipped,
        experiments=tuple(t.experiment for t in trials),
        values=tuple(t.value for t in trials),
        best=tuple(best),
    )
