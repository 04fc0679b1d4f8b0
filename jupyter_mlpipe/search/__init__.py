"""Search algorithms: grid, random, hyperband and Bayesian optimisation (bo).

One module per algorithm behind :class:`Search` (``_base.py``). The sweep driver calls
``make_search(spec, history)``, then loops: ``ask()`` for params while slots are free,
``report()`` intermediate values (adaptive searches may answer "prune"), ``tell()`` final
values, and ``early_stop_reached()`` with the latest metrics. Grid and random precompute their
list; hyperband (Polyaxon's brackets) waits for each rung's results; hyperband's
``mode: pruner`` and bo run an in-memory Optuna study (Optuna is imported only by them).
"""

from __future__ import annotations

from ._base import CompletedTrial, Search, Suggestion
from .early_stopping import early_stop_reached
from .factory import make_search

__all__ = ["CompletedTrial", "Search", "Suggestion", "early_stop_reached", "make_search"]
