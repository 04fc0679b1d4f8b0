"""Notebook widgets (ipywidgets): the live dashboard of ``%mlpipe dashboard``.

Only this package (and :mod:`jupyter_mlpipe.plots`) imports ipywidgets.
"""

from __future__ import annotations

from .dashboard import Dashboard

__all__ = ["Dashboard"]
