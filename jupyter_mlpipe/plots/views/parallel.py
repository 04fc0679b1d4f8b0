"""Parallel coordinates: one line per experiment across its params to the objective, coloured
by the objective (drawn by :func:`jupyter_mlpipe.plots.params.params_figure`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ...store import ExperimentRow, Objective
from .base import View, gather, is_numeric


@dataclass(frozen=True)
class Dimension:
    """One axis: a param (numeric, or categorical with its categories in axis order)."""

    param: str
    numeric: bool
    categories: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"param": self.param, "numeric": self.numeric, "categories": list(self.categories)}


@dataclass(frozen=True, repr=False)
class ParallelCoordinates(View):
    """Axes (the params that vary, or all when none does) and a line per experiment."""

    kind: ClassVar[str] = "parallel"

    dimensions: tuple[Dimension, ...] = ()
    lines: tuple[tuple[int, Mapping[str, Any], float], ...] = ()

    def _data(self) -> dict[str, Any]:
        return {
            "dimensions": [d.to_dict() for d in self.dimensions],
            "lines": [
                {"experiment": e, "params": dict(p), "objective": v} for e, p, v in self.lines
            ],
        }


def parallel_coordinates(
    group: int, rows: Iterable[ExperimentRow], objective: Objective | None
) -> ParallelCoordinates:
    """The group's experiments as lines from their params to ``objective``."""
    trials, skipped, reason = gather(group, rows, objective, 1)
    if reason:
        return ParallelCoordinates(group, objective, reason=reason, skipped=skipped)
    names = sorted({n for t in trials for n in t.params})
    varying = [n for n in names if len({repr(t.params.get(n)) for t in trials}) > 1]
    dimensions = []
    for name in varying or names:
        values = [t.params[name] for t in trials if name in t.params]
        numeric = is_numeric(values) and len(values) == len(trials)
        categories = () if numeric else tuple(sorted({str(v) for v in values}))
        dimensions.append(Dimension(name, numeric, categories))
    return ParallelCoordinates(
        group,
        objective,
        included=len(trials),
        skipped=skipped,
        dimensions=tuple(dimensions),
        lines=tuple((t.experiment, t.params, t.value) for t in trials),
    )
