"""``polyaxon_helper`` for scripts written for Polyaxon v0.x, backed by jupyter-mlpipe.

Executors put this folder (``jupyter_mlpipe.tracking.compat_path()``) on ``PYTHONPATH``, so::

    from polyaxon_helper import send_metrics, get_outputs_path, get_data_paths, get_declarations

works unchanged inside a trial. Metrics land in the experiment's ``metrics.jsonl`` like those of
``jupyter_mlpipe.tracking.log_metrics`` (without a step, as polyaxon-helper sent them). Functions
about distributed runs answer for a single process: no cluster definition, one ``master`` task.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlpipe import tracking

__all__ = [
    "get_cluster_def",
    "get_data_paths",
    "get_declarations",
    "get_experiment_info",
    "get_job_info",
    "get_log_level",
    "get_outputs_path",
    "get_outputs_refs_paths",
    "get_params",
    "get_task_info",
    "get_tf_config",
    "send_metrics",
]


def send_metrics(**metrics: Any) -> None:
    """Record metric values (numbers) for this experiment, with no step."""
    tracking.log_metrics(**metrics)


def get_outputs_path() -> str:
    """The experiment's outputs folder."""
    return tracking.get_outputs_path()


def get_outputs_refs_paths() -> dict[str, list[str]] | None:
    """Outputs of referenced jobs/experiments: none are mounted by jupyter-mlpipe."""
    return None


def get_data_paths() -> dict[str, str]:
    """Data folders, name → path."""
    return tracking.get_data_paths()


def get_declarations() -> dict[str, Any] | None:
    """Declarations merged with the experiment's matrix values (None when there are none)."""
    return tracking.get_params() or None


def get_params() -> dict[str, Any] | None:
    """The later name of :func:`get_declarations`."""
    return get_declarations()


def get_experiment_info() -> dict[str, Any] | None:
    """The experiment's identity, with Polyaxon's dotted names added.

    Polyaxon named things ``user.project``, ``user.project.group`` and
    ``user.project.experiment``; those keys are added when the parts are known.
    """
    info = dict(tracking.get_experiment_info())
    if not info:
        return None
    user, project = info.get("user"), info.get("project")
    if user is not None and project is not None:
        info.setdefault("project_name", f"{user}.{project}")
        if info.get("group") is not None:
            info.setdefault("experiment_group_name", f"{user}.{project}.{info['group']}")
        if info.get("experiment") is not None:
            info.setdefault("experiment_name", f"{user}.{project}.{info['experiment']}")
    return info


def get_task_info() -> dict[str, Any]:
    """This process's role in a distributed run: always the single master."""
    return {"type": "master", "index": 0}


def get_job_info() -> dict[str, Any] | None:
    """Information about a (non-experiment) job: trials are experiments, so None."""
    return None


def get_cluster_def() -> dict[str, list[str]] | None:
    """Distributed cluster definition: trials are single processes, so None."""
    return None


def get_tf_config() -> dict[str, Any]:
    """A ``TF_CONFIG``-shaped description of a single-process run."""
    return {"cluster": {}, "task": get_task_info(), "environment": "cloud"}


def get_log_level() -> str | None:
    """The log level from the spec's ``logging`` section, or None."""
    return tracking.get_log_level()
