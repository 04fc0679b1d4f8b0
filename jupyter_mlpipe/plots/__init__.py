"""Metric plots for notebooks and widgets (matplotlib, imported lazily by the callers).

* :mod:`.decimate` — min/max envelope decimation (pure numpy).
* :mod:`.series` — lines accumulated incrementally from new points.
* :mod:`.figure` — a figure per metric whose artists are updated in place.
* :mod:`.live` — the refresh thread (:class:`LivePlot`) and the API-backed source.
* :mod:`.params` — params vs metric (parallel coordinates).
* :mod:`.show` — where pictures go: notebook displays updated in place, PNG files.

Only this package (and the widgets) import matplotlib; figures never touch pyplot's global state.
"""

from __future__ import annotations

from .decimate import decimate, envelope_indices
from .live import MIN_INTERVAL, GroupSource, LivePlot, MetricsSource
from .params import params_figure, params_png
from .series import SeriesStore
from .show import DisplayPublisher, frontend_attached, group_params_png, live_plot, save_png

__all__ = [
    "MIN_INTERVAL",
    "DisplayPublisher",
    "GroupSource",
    "LivePlot",
    "MetricsSource",
    "SeriesStore",
    "decimate",
    "envelope_indices",
    "frontend_attached",
    "group_params_png",
    "live_plot",
    "params_figure",
    "params_png",
    "save_png",
]
