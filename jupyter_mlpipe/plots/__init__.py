"""Metric plots for notebooks and widgets (matplotlib, imported lazily by the callers).

* :mod:`.decimate` — min/max envelope decimation (pure numpy).
* :mod:`.series` — lines accumulated incrementally from new points.
* :mod:`.figure` — a figure per metric whose artists are updated in place.
* :mod:`.live` — the refresh thread (:class:`LivePlot`) and the API-backed source.
* :mod:`.params` — params vs metric (parallel coordinates).

Only this package imports matplotlib. It renders PNG bytes and never displays anything itself:
the magics and widgets decide where pictures go.
"""

from __future__ import annotations

from .decimate import decimate, envelope_indices
from .live import MIN_INTERVAL, GroupSource, LivePlot, MetricsSource
from .params import params_figure, params_png
from .series import SeriesStore, default_mode

__all__ = [
    "MIN_INTERVAL",
    "GroupSource",
    "LivePlot",
    "MetricsSource",
    "SeriesStore",
    "decimate",
    "default_mode",
    "envelope_indices",
    "params_figure",
    "params_png",
]
