"""Views of a group's results, as Optuna Dashboard and W&B show them.

Each view is computed from the read model's rows and the group's objective into a typed record
(``to_dict()`` for the REST API; ``show()``, ``_repr_png_`` / ``_repr_html_`` and ``figure()``
draw it with matplotlib). A view that cannot be drawn says why in its ``reason``.

* :mod:`.importance` — parameter importance (Optuna's evaluators on an in-memory study);
* :mod:`.parallel` — parallel coordinates, coloured by the objective;
* :mod:`.history` — the objective per experiment with the best so far;
* :mod:`.slices` — the objective against each param (numeric or categorical);
* :mod:`.compare` — chosen experiments side by side, curves overlaid.
"""

from __future__ import annotations

from .base import Trial, View, usable
from .compare import Comparison, ParamRow, compare
from .history import History, history
from .importance import METHODS, Importance, importance
from .parallel import Dimension, ParallelCoordinates, parallel_coordinates
from .slices import Slice, Slices, slices

__all__ = [
    "METHODS",
    "Comparison",
    "Dimension",
    "History",
    "Importance",
    "ParallelCoordinates",
    "ParamRow",
    "Slice",
    "Slices",
    "Trial",
    "View",
    "compare",
    "history",
    "importance",
    "parallel_coordinates",
    "slices",
    "usable",
]
