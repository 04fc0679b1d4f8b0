"""The plotting building blocks the API offers to front ends (the dashboard, the magics).

Front ends import only :mod:`jupyter_mlpipe.api`; these are the parts of
:mod:`jupyter_mlpipe.plots` they compose. Importing this module pulls in numpy (matplotlib
only when a figure is made).
"""

from __future__ import annotations

from ..plots.figure import MetricFigure
from ..plots.live import TERMINAL, GroupSource, LivePlot
from ..plots.series import SeriesStore

__all__ = ["TERMINAL", "GroupSource", "LivePlot", "MetricFigure", "SeriesStore"]
