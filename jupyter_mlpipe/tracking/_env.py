"""What a trial learns from its environment.

Executors describe a trial with ``MLPIPE_TRIAL_*`` variables and, for scripts written for
Polyaxon, the ``POLYAXON_*`` names too. Each getter reads the ``MLPIPE_TRIAL_*`` name first and
falls back to the Polyaxon names, in the order listed in :data:`NAMES`. Values are read on every
call (they are a handful of dictionary look-ups), so a test or a notebook that changes the
environment sees the change at once.

Outside a trial (no outputs path in the environment) the outputs path is ``./mlpipe-outputs``
under the current directory, created on first use, so a training script also runs by hand.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from ..errors import TrackingError

#: Environment variables per field, most specific first.
NAMES: dict[str, tuple[str, ...]] = {
    "outputs_path": (
        "MLPIPE_TRIAL_OUTPUTS_PATH",
        "POLYAXON_RUN_OUTPUTS_PATH",
        "POLYAXON_OUTPUTS_PATH",
    ),
    "params": ("MLPIPE_TRIAL_PARAMS", "POLYAXON_PARAMS", "POLYAXON_DECLARATIONS"),
    "info": ("MLPIPE_TRIAL_INFO", "POLYAXON_EXPERIMENT_INFO"),
    "data_paths": ("MLPIPE_TRIAL_DATA_PATHS", "POLYAXON_RUN_DATA_PATHS"),
    "log_level": ("MLPIPE_TRIAL_LOG_LEVEL", "POLYAXON_LOG_LEVEL"),
}

#: Folder (relative to the current directory) used when not running as a trial.
LOCAL_OUTPUTS = "mlpipe-outputs"

_warned_local = False


def _lookup(field: str) -> tuple[str, str] | None:
    """Return ``(variable, value)`` for the first non-empty variable of ``field``."""
    for name in NAMES[field]:
        value = os.environ.get(name)
        if value:
            return name, value
    return None


def _json_dict(field: str) -> dict[str, Any]:
    found = _lookup(field)
    if found is None:
        return {}
    name, text = found
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise TrackingError(
            f"environment variable {name} must hold a JSON object, got {text[:80]!r} ({exc}) "
            "— the executor that started this trial wrote it; unset it to run by hand"
        ) from None
    if not isinstance(value, dict):
        raise TrackingError(
            f"environment variable {name} must hold a JSON object, got {type(value).__name__} "
            f"{text[:80]!r} — unset it to run by hand"
        )
    return value


def in_trial() -> bool:
    """True when an executor started this process (an outputs path is in the environment)."""
    return _lookup("outputs_path") is not None


def outputs_path() -> str:
    """The trial's outputs folder, or ``./mlpipe-outputs`` (created, announced once) outside one."""
    global _warned_local
    found = _lookup("outputs_path")
    if found is not None:
        return found[1]
    path = os.path.abspath(LOCAL_OUTPUTS)
    os.makedirs(path, exist_ok=True)
    if not _warned_local:
        _warned_local = True
        sys.stderr.write(
            f"mlpipe: not running as a trial (MLPIPE_TRIAL_OUTPUTS_PATH is unset); "
            f"outputs and metrics go to {path}\n"
        )
    return path


def params() -> dict[str, Any]:
    """The trial's params (declarations merged with this experiment's matrix values)."""
    return _json_dict("params")


def experiment_info() -> dict[str, Any]:
    """Who this trial is: user, project, group, experiment, attempt, name (when known)."""
    return _json_dict("info")


def data_paths() -> dict[str, str]:
    """Data folders mounted for the trial, name → path (empty outside a trial)."""
    return {str(name): str(path) for name, path in _json_dict("data_paths").items()}


def log_level() -> str | None:
    """The log level asked for in the spec's ``logging`` section, or None.

    Polyaxon wrote the level JSON-encoded (``"\\"INFO\\""``); both that and a bare ``INFO`` are
    accepted.
    """
    found = _lookup("log_level")
    if found is None:
        return None
    text = found[1].strip()
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        return str(decoded)
    return text
