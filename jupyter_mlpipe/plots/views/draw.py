"""Matplotlib figures of the views (no pyplot: figures share no global state)."""

from __future__ import annotations

import math
from typing import Any

from ..figure import BEST_COLOR
from .base import View

_BLUE = "#1f77b4"


def _figure(width: float = 7.2, height: float = 3.6) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def draw(view: View) -> Any:
    """The figure of a drawable view."""
    drawers = {
        "importance": _importance,
        "history": _history,
        "slices": _slices,
        "parallel": _parallel,
        "compare": _compare,
    }
    return drawers[view.kind](view)


def _title(view: View, what: str) -> str:
    return f"group {view.group}: {what}" if view.group else what


def _importance(view: Any) -> Any:
    names = list(view.importances)[::-1]
    figure = _figure(6.4, 0.6 + 0.35 * max(2, len(names)))
    axes = figure.add_subplot()
    axes.barh(names, [view.importances[n] for n in names], color=_BLUE)
    axes.set_xlabel(f"importance for {view.objective} ({view.method})")
    axes.set_title(_title(view, "parameter importance"), fontsize="medium")
    return figure


def _history(view: Any) -> Any:
    figure = _figure()
    axes = figure.add_subplot()
    axes.scatter(view.experiments, view.values, s=14, color=_BLUE, label=view.objective.metric)
    axes.step(view.experiments, view.best, where="post", color=BEST_COLOR, label="best so far")
    axes.set_xlabel("experiment")
    axes.set_ylabel(str(view.objective))
    axes.legend(fontsize="small")
    axes.set_title(_title(view, "optimisation history"), fontsize="medium")
    return figure


def _slices(view: Any) -> Any:
    n = len(view.slices)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    figure = _figure(3.0 * cols, 2.6 * rows)
    for i, piece in enumerate(view.slices):
        axes = figure.add_subplot(rows, cols, i + 1)
        values = [p[1] for p in piece.points]
        ys = [p[2] for p in piece.points]
        if piece.numeric:
            axes.scatter(values, ys, s=12, color=_BLUE)
        else:
            labels = sorted({str(v) for v in values})
            where = {label: j for j, label in enumerate(labels)}
            axes.scatter([where[str(v)] for v in values], ys, s=12, color=_BLUE)
            axes.set_xticks(range(len(labels)), labels, fontsize="x-small", rotation=30)
            axes.set_xlim(-0.5, len(labels) - 0.5)
        axes.set_xlabel(piece.param, fontsize="small")
        if i % cols == 0:
            axes.set_ylabel(view.objective.metric, fontsize="small")
    figure.suptitle(_title(view, f"slices of {view.objective}"), fontsize="medium")
    return figure


def _parallel(view: Any) -> Any:
    from ..params import params_figure

    names = [d.param for d in view.dimensions]
    rows = [(e, {n: p.get(n, "-") for n in names}, v) for e, p, v in view.lines]
    figure = params_figure(rows, view.objective.metric, view.objective.mode)
    return figure


def _compare(view: Any) -> Any:
    metrics = list(view.curves)
    cols = min(len(metrics), 3) or 1
    rows = math.ceil(len(metrics) / cols) or 1
    figure = _figure(3.6 * cols, 2.8 * rows)
    for i, metric in enumerate(metrics):
        axes = figure.add_subplot(rows, cols, i + 1)
        for eid, points in view.curves[metric].items():
            kept = [(s, v) for s, v in points if v is not None]
            axes.plot([s for s, _ in kept], [v for _, v in kept], marker=".", label=f"#{eid}")
        axes.set_title(metric, fontsize="small")
        axes.set_xlabel("step", fontsize="small")
        axes.legend(fontsize="x-small")
    figure.suptitle(_title(view, "compared experiments"), fontsize="medium")
    return figure
