"""Compare N chosen experiments: their params side by side (the differing ones first) and their
metric curves overlaid. Experiments may come from different groups."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...store import ExperimentRow
from ...store.metrics import finite_or_none
from .base import View, plain

#: ``metric → experiment → ((step, value), ...)``; a point logged without a step gets its index.
Curves = Mapping[str, Mapping[int, tuple[tuple[int, float | None], ...]]]


@dataclass(frozen=True)
class ParamRow:
    """One param across the compared experiments (None where an experiment lacks it)."""

    param: str
    values: tuple[Any, ...]
    differs: bool

    def to_dict(self) -> dict[str, Any]:
        return {"param": self.param, "values": list(self.values), "differs": self.differs}


@dataclass(frozen=True, repr=False)
class Comparison(View):
    """Params side by side, last metric values, and curves of the chosen experiments."""

    kind: ClassVar[str] = "compare"

    experiments: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    params: tuple[ParamRow, ...] = ()
    last: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    curves: Curves = field(default_factory=dict)

    def _data(self) -> dict[str, Any]:
        return {
            "experiments": [
                {"id": e, "status": s} for e, s in zip(self.experiments, self.statuses, strict=True)
            ],
            "params": [p.to_dict() for p in self.params],
            "metrics": [{"metric": m, "last": list(v)} for m, v in self.last.items()],
            "curves": [
                {
                    "metric": metric,
                    "experiment": eid,
                    "points": [{"step": s, "value": v} for s, v in points],
                }
                for metric, by_exp in self.curves.items()
                for eid, points in by_exp.items()
            ],
        }

    def _repr_html_(self) -> str | None:
        """The params table (differing rows in bold) above the curves."""
        if self.reason:
            return super()._repr_html_()
        head = "".join(
            f"<th>#{e} ({html.escape(s)})</th>"
            for e, s in zip(self.experiments, self.statuses, strict=True)
        )
        body = "".join(
            "<tr><td>"
            + (f"<b>{html.escape(p.param)}</b>" if p.differs else html.escape(p.param))
            + "</td>"
            + "".join(f"<td>{html.escape(str(v))}</td>" for v in p.values)
            + "</tr>"
            for p in self.params
        )
        body += "".join(
            f"<tr><td><i>{html.escape(m)}</i></td>"
            + "".join(f"<td>{'' if v is None else f'{v:.4g}'}</td>" for v in values)
            + "</tr>"
            for m, values in self.last.items()
        )
        png = self._repr_png_() if self.curves else None
        image = (
            f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}"/>' if png else ""
        )
        return f"<table><tr><th>param</th>{head}</tr>{body}</table>{image}"


def compare(
    rows: Sequence[ExperimentRow],
    points: Mapping[int, Mapping[str, Sequence[tuple[int | None, float, float]]]],
) -> Comparison:
    """Compare ``rows`` (in the order given).

    Args:
        points: experiment → metric → ``(step, time, value)`` points, as the read model gives.
    """
    groups = {r.group for r in rows}
    group = groups.pop() if len(groups) == 1 else 0
    if not rows:
        return Comparison(group, None, reason="no experiments to compare — give one or more ids")
    ids = tuple(r.id for r in rows)
    names = sorted({n for r in rows for n in r.params})
    table = []
    for name in names:
        values = tuple(plain(r.params.get(name)) for r in rows)
        table.append(ParamRow(name, values, len({repr(v) for v in values}) > 1))
    table.sort(key=lambda p: not p.differs)  # stable: differing first, each block by name
    metrics = list(dict.fromkeys(m for r in rows for m in r.metrics))
    last = {m: tuple(r.last(m) for r in rows) for m in metrics}
    curves: dict[str, dict[int, tuple[tuple[int, float | None], ...]]] = {}
    for eid in ids:
        for metric, series in points.get(eid, {}).items():
            curves.setdefault(metric, {})[eid] = tuple(
                (step if step is not None else i, finite_or_none(value))
                for i, (step, _time, value) in enumerate(series)
            )
    return Comparison(
        group,
        None,
        included=len(rows),
        experiments=ids,
        statuses=tuple(r.status for r in rows),
        params=tuple(table),
        last=last,
        curves=curves,
    )
