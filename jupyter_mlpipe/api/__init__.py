"""The Python API: one façade (:class:`Mlpipe`) over the store, engines and backends.

Front ends (the CLI, the magics, the widgets, the server extension) import this package — plus
:mod:`jupyter_mlpipe.errors` and :mod:`jupyter_mlpipe.settings` — and nothing below it.
"""

from .. import __version__
from ..store import ExperimentRow, MetricsBatch, MetricSummary, Objective, safe_join, validate_name
from ..store.operations import OperationEvent, OperationRecord, OperationStep
from .core import Mlpipe
from .records import (
    DeploymentInfo,
    ExperimentInfo,
    GroupDetail,
    GroupInfo,
    Prediction,
    StopOutcome,
    badge,
)
from .sweeps import EXIT_CODES, Sweep
from .views import GROUP_VIEWS

__all__ = [
    "__version__",
    "EXIT_CODES",
    "GROUP_VIEWS",
    "DeploymentInfo",
    "ExperimentInfo",
    "ExperimentRow",
    "GroupDetail",
    "GroupInfo",
    "MetricSummary",
    "MetricsBatch",
    "Mlpipe",
    "Objective",
    "OperationEvent",
    "OperationRecord",
    "OperationStep",
    "Prediction",
    "StopOutcome",
    "Sweep",
    "badge",
    "safe_join",
    "validate_name",
]
