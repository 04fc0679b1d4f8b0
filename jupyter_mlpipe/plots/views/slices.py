"""Slice plots: the objective against each param, numeric params on a value axis, others as
categories (the experiments that did not set a param are left out of its slice)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...store import ExperimentRow, Objective
from .base import View, gather, is_numeric


@dataclass(frozen=True)
class Slice:
    """One param's slice: its kind, and ``(experiment, value, objective)`` points."""

    param: str
    numeric: bool
    points: tuple[tuple[int, Any, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "param": self.param,
            "numeric": self.numeric,
            "points": [{"experiment": e, "value": v, "objective": o} for e, v, o in self.points],
        }


@dataclass(frozen=True, repr=False)
class Slices(View):
    """A slice per param, in name order."""

    kind: ClassVar[str] = "slices"

    slices: tuple[Slice, ...] = field(default_factory=tuple)

    def _data(self) -> dict[str, Any]:
        return {"slices": [s.to_dict() for s in self.slices]}


def slices(group: int, rows: Iterable[ExperimentRow], objective: Objective | None) -> Slices:
    """The objective against each param of the group."""
    trials, skipped, reason = gather(group, rows, objective, 1)
    names = sorted({n for t in trials for n in t.params})
    if not reason and not names:
        reason = "its experiments have no params"
    if reason:
        return Slices(group, objective, reason=reason, included=len(trials), skipped=skipped)
    out = []
    for name in names:
        points = tuple((t.experiment, t.params[name], t.value) for t in trials if name in t.params)
        out.append(Slice(name, is_numeric(p[1] for p in points), points))
    return Slices(group, objective, included=len(trials), skipped=skipped, slices=tuple(out))
