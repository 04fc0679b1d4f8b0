"""The outputs volume as the single source of truth (see :mod:`.store` for the layout)."""

from .files import append_jsonl, atomic_write_json, atomic_write_text, read_json
from .metrics import MetricLine, MetricsBatch, MetricsReader, MetricSummary
from .names import safe_join, validate_name
from .reader import ExperimentRow, GroupReader, Readers, best_row, count_states
from .records import (
    EXPERIMENT_STATES_ORDER,
    FAILED,
    FINAL_STATES,
    LIVE_STATES,
    QUEUED,
    RUNNING,
    STOPPED,
    SUCCEEDED,
    TIMED_OUT,
    UNKNOWN,
    ExperimentRecord,
    ExperimentStatus,
    GroupRecord,
    Objective,
    Supervisor,
)
from .store import DeploymentStore, Store

__all__ = [
    "EXPERIMENT_STATES_ORDER",
    "FAILED",
    "FINAL_STATES",
    "LIVE_STATES",
    "QUEUED",
    "RUNNING",
    "STOPPED",
    "SUCCEEDED",
    "TIMED_OUT",
    "UNKNOWN",
    "DeploymentStore",
    "ExperimentRecord",
    "ExperimentRow",
    "ExperimentStatus",
    "GroupReader",
    "GroupRecord",
    "MetricLine",
    "MetricSummary",
    "MetricsBatch",
    "MetricsReader",
    "Objective",
    "Readers",
    "Store",
    "Supervisor",
    "append_jsonl",
    "atomic_write_json",
    "atomic_write_text",
    "best_row",
    "count_states",
    "read_json",
    "safe_join",
    "validate_name",
]
