"""The Python API: one façade (:class:`Mlpipe`) over the store, engines and backends."""

from ..store.operations import OperationEvent, OperationRecord, OperationStep
from .core import Mlpipe
from .records import ExperimentInfo, GroupInfo, Prediction
from .sweeps import Sweep

__all__ = [
    "ExperimentInfo",
    "GroupInfo",
    "Mlpipe",
    "OperationEvent",
    "OperationRecord",
    "OperationStep",
    "Prediction",
    "Sweep",
]
