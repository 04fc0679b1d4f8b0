"""Params vs metric for a group: parallel coordinates (or a scatter for a single param).

Each experiment is a polyline across one vertical axis per hyper-parameter and a last axis for
the metric, coloured by the metric; the best experiment is drawn thick and red. Numeric params
are scaled to [0, 1] on their own axis (log scale when they span more than two decades);
categorical params are spread evenly in sorted order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import require_extra
from .figure import BEST_COLOR, encode_png


@dataclass(frozen=True)
class Axis:
    """One vertical axis: its name, the scaled positions and the tick labels."""

    name: str
    positions: tuple[float, ...]
    ticks: tuple[tuple[float, str], ...]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def scale_axis(name: str, values: Sequence[Any]) -> Axis:
    """Scale one column to [0, 1] (numbers, log when positive and wide) or spread categories."""
    if values and all(_is_number(v) for v in values):
        numbers = [float(v) for v in values]
        log = min(numbers) > 0 and max(numbers) / min(numbers) > 100
        mapped = [math.log10(v) for v in numbers] if log else numbers
        low, high = min(mapped), max(mapped)
        span = high - low or 1.0
        positions = tuple((v - low) / span for v in mapped)
        ticks = ((0.0, f"{min(numbers):.3g}"), (1.0, f"{max(numbers):.3g}"))
        return Axis(name + (" (log)" if log else ""), positions, ticks)
    labels = sorted({str(v) for v in values})
    step = 1.0 / max(1, len(labels) - 1)
    where = {label: i * step for i, label in enumerate(labels)}
    return Axis(
        name, tuple(where[str(v)] for v in values), tuple((where[label], label) for label in labels)
    )


def params_figure(
    rows: Sequence[tuple[int, Mapping[str, Any], float]],
    metric: str,
    mode: str = "max",
    size: tuple[float, float] = (7.2, 3.6),
) -> Any:
    """A matplotlib Figure of params vs ``metric``.

    Args:
        rows: ``(experiment, params, value)`` for each experiment that has a value.
        metric: the metric name (last axis, colour).
        mode: "min" or "max": which value is best.

    Raises:
        ValueError: no rows.
    """
    require_extra("matplotlib", "notebook", "plots")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not rows:
        raise ValueError(f"no experiment has a value for {metric!r} yet")
    names = sorted({k for _, params, _ in rows for k in params})
    varying = [n for n in names if len({repr(p.get(n)) for _, p, _ in rows}) > 1]
    names = varying or names  # a param every experiment shares says nothing about the metric
    columns = [scale_axis(n, [params.get(n, "-") for _, params, _ in rows]) for n in names]
    values = [value for _, _, value in rows]
    columns.append(scale_axis(metric, values))
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    best = (min if mode == "min" else max)(range(len(rows)), key=lambda i: values[i])
    low, high = min(values), max(values)
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    xs = list(range(len(columns)))
    for i, (_, _, value) in enumerate(rows):
        ys = [c.positions[i] for c in columns]
        shade = (value - low) / ((high - low) or 1.0)
        color = BEST_COLOR if i == best else cmap(shade if mode == "max" else 1 - shade)
        axes.plot(
            xs,
            ys,
            color=color,
            lw=2.6 if i == best else 1.0,
            alpha=1.0 if i == best else 0.7,
            zorder=3 if i == best else 2,
        )
    for x, column in zip(xs, columns, strict=True):
        axes.axvline(x, color="0.3", lw=0.8)
        for y, label in column.ticks:
            axes.annotate(
                label,
                (x, y),
                xytext=(3, 0),
                textcoords="offset points",
                fontsize="x-small",
                va="center",
            )
    axes.set_xticks(xs, [c.name for c in columns], fontsize="small")
    axes.set_yticks([])
    axes.set_ylim(-0.05, 1.05)
    eid, _, value = rows[best]
    axes.set_title(f"params vs {metric} ({mode}) — best #{eid}: {value:.4g}", fontsize="medium")
    return figure


def params_png(
    rows: Sequence[tuple[int, Mapping[str, Any], float]], metric: str, mode: str = "max"
) -> bytes:
    """PNG bytes of :func:`params_figure`."""
    figure = params_figure(rows, metric, mode)
    figure.canvas.draw()
    return encode_png(figure.canvas.buffer_rgba(), colors=256)
