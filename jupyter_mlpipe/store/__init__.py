"""The outputs volume as the single source of truth (see :mod:`.store` for the layout)."""

from .files import append_jsonl, atomic_write_json, atomic_write_text, read_json, read_jsonl
from .names import safe_join, validate_name
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
    ExperimentRecord,
    ExperimentStatus,
    GroupRecord,
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
    "DeploymentStore",
    "ExperimentRecord",
    "ExperimentStatus",
    "GroupRecord",
    "Store",
    "Supervisor",
    "append_jsonl",
    "atomic_write_json",
    "atomic_write_text",
    "read_json",
    "read_jsonl",
    "safe_join",
    "validate_name",
]
