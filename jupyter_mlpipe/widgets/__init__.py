"""Notebook widgets (ipywidgets): the live dashboard of ``%mlpipe dashboard``.

Only this package (and :mod:`jupyter_mlpipe.plots`) imports ipywidgets.
"""

from __future__ import annotations

from ..errors import require_extra

require_extra("ipywidgets", "notebook", "the dashboard widgets")

from .dashboard import Dashboard  # noqa: E402 - after the check, on purpose

__all__ = ["Dashboard"]
