"""Turning an experiment into a launch: its argv, working folder and environment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..executors.base import TrialLaunch
from ..settings import Settings
from ..store import GroupRecord, Store


def trial_env(
    store: Store,
    group: GroupRecord,
    experiment: int,
    params: dict[str, Any],
    attempt: int,
    settings: Settings,
    outputs_path: str | None = None,
) -> dict[str, str]:
    """The environment a trial sees: where to write, its params, and the Polyaxon names."""
    from ..tracking import compat_path

    outputs = outputs_path or str(store.experiment_dir(experiment))
    info = {
        "user": store.user,
        "project": store.project,
        "group": group.id,
        "group_name": group.name,
        "experiment": experiment,
        "attempt": attempt,
        "name": f"{store.project}.{group.id}.{experiment}",
    }
    data_paths = json.dumps({"data": str(settings.data_root)})
    params_json = json.dumps(params, default=str)
    env = {
        "MLPIPE_TRIAL_OUTPUTS_PATH": outputs,
        "MLPIPE_TRIAL_PARAMS": params_json,
        "MLPIPE_TRIAL_INFO": json.dumps(info),
        "MLPIPE_TRIAL_DATA_PATHS": data_paths,
        "MLPIPE_TRIAL_LOG_LEVEL": "INFO",
        "POLYAXON_RUN_OUTPUTS_PATH": outputs,
        "POLYAXON_DECLARATIONS": params_json,
        "POLYAXON_PARAMS": params_json,
        "POLYAXON_EXPERIMENT_INFO": json.dumps(info),
        "POLYAXON_RUN_DATA_PATHS": data_paths,
        "POLYAXON_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    existing = os.environ.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (compat_path(), existing) if p)
    # `python` in a spec means the interpreter jupyter-mlpipe runs on (its venv), as in a pod
    # whose image holds the project's environment.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return env


def make_launch(
    store: Store,
    group: GroupRecord,
    spec: Any,
    experiment: int,
    params: dict[str, Any],
    attempt: int,
    settings: Settings,
) -> TrialLaunch:
    """Render the command for ``params`` (never through a shell) and package it as a launch."""
    argv = tuple(spec.render_command(params))
    return TrialLaunch(
        experiment=experiment,
        attempt=attempt,
        argv=argv,
        env=trial_env(store, group, experiment, params, attempt, settings),
        cwd=group.project_dir,
        params=params,
        timeout=group.timeout,
    )
