"""The in-trial helper: log metrics and find the outputs folder, params and data paths.

Standard library only and cheap to import, so any training script can use it::

    from jupyter_mlpipe import tracking

    params = tracking.get_params()            # {"lr": 0.02575, "momentum": 0.53, ...}
    for epoch in range(1, epochs + 1):
        ...
        tracking.log_metrics(step=epoch, loss=loss, accuracy=acc)
    torch.save(model.state_dict(), os.path.join(tracking.get_outputs_path(), "model.dat"))

Metrics go to ``<outputs path>/metrics.jsonl`` as JSON lines ``{"step", "time", "values"}``
(the format the monitor, the API and the sidebar read). Logging is buffered — a call costs a few
microseconds — and the buffer is written at most one second after a line arrives, when it
reaches 64 KiB, on :func:`flush`, at normal exit and on SIGTERM. See ``_writer`` for value rules
(numbers only; NaN/±inf recorded as ``null``).

The trial is described by environment variables set by the executor, ``MLPIPE_TRIAL_*`` first
and Polyaxon's names as fallback (``_env.NAMES``). Outside a trial — a script run by hand —
outputs and metrics go to ``./mlpipe-outputs/`` (announced once on stderr) and no signal handler
is installed.

Scripts written for polyaxon-helper run unchanged when :func:`compat_path` is on ``PYTHONPATH``
(executors put it there): ``from polyaxon_helper import send_metrics`` lands here.

:mod:`jupyter_mlpipe.tracking.steps` runs a ``run.cmd`` of several steps (``a && b``,
``export V=x && ...``, ``cd dir && ...``) without a shell; specs render such commands to it.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ..errors import TrackingError
from . import _env, _lifecycle
from ._writer import MetricsWriter, encode_line

__all__ = [
    "METRICS_FILE",
    "MetricsWriter",
    "TrackingError",
    "close",
    "compat_path",
    "encode_line",
    "flush",
    "get_data_paths",
    "get_experiment_info",
    "get_log_level",
    "get_outputs_path",
    "get_params",
    "in_trial",
    "log_metrics",
]

#: File name of the metrics log inside an experiment's outputs folder.
METRICS_FILE = "metrics.jsonl"

_default: MetricsWriter | None = None
_default_lock = threading.Lock()

in_trial = _env.in_trial


def get_outputs_path() -> str:
    """The folder where this trial saves checkpoints and anything else it produces.

    Returns:
        ``MLPIPE_TRIAL_OUTPUTS_PATH`` (or ``POLYAXON_RUN_OUTPUTS_PATH``); outside a trial, the
        absolute path of ``./mlpipe-outputs`` (created).
    """
    return _env.outputs_path()


def get_params() -> dict[str, Any]:
    """This trial's params: declarations merged with the experiment's matrix values ({} if none).

    Raises:
        TrackingError: the variable holds something other than a JSON object.
    """
    return _env.params()


def get_data_paths() -> dict[str, str]:
    """Data folders mounted for the trial, name → path ({} if none)."""
    return _env.data_paths()


def get_experiment_info() -> dict[str, Any]:
    """user, project, group, experiment, attempt and name of this trial ({} outside a trial)."""
    return _env.experiment_info()


def get_log_level() -> str | None:
    """The log level from the spec's ``logging`` section, or None."""
    return _env.log_level()


def compat_path() -> str:
    """The folder holding the ``polyaxon_helper`` shim module, for ``PYTHONPATH``."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_compat")


def _writer() -> MetricsWriter:
    global _default
    with _default_lock:
        if _default is None:
            trial = _env.in_trial()
            path = os.path.join(_env.outputs_path(), METRICS_FILE)
            _default = MetricsWriter(path)
            _lifecycle.register(_default, handle_sigterm=trial)
        return _default


def log_metrics(step: int | None = None, **values: Any) -> None:
    """Record metric values, optionally at a step (epoch, batch number ...).

    Args:
        step: an integer (Python or numpy) or None.
        **values: metric name → number (int, float, numpy scalar, 0-d tensor ...). NaN and ±inf
            are recorded as ``null``. Nothing is recorded when no value is given.

    Raises:
        TrackingError: a value is not a number or the step not an integer (nothing is recorded).
    """
    if not values:
        return
    (_default or _writer()).log(step, values)


def flush() -> None:
    """Write buffered metric lines now (rarely needed: exit and SIGTERM flush too)."""
    if _default is not None:
        _default.flush()


def close() -> None:
    """Flush and forget the current metrics file; the next log resolves the outputs path again."""
    global _default
    with _default_lock:
        writer, _default = _default, None
    if writer is not None:
        writer.close()
