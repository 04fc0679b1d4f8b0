"""Running a parsed command against the API. Shared by the CLI and the magics.

:func:`run_command` returns Python objects (DataFrames, handles, records); how they are shown is
the front end's business (:mod:`.render` for the terminal, IPython's display in notebooks).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..api import Mlpipe
from ..errors import InvalidArgument


class Said(str):
    """A sentence a verb answers with, plus the same as data (what ``--format json`` prints).

    A ``str``, so every front end shows the sentence as it is; ``data`` is the record.
    """

    data: dict[str, Any]

    def __new__(cls, sentence: str, data: dict[str, Any]) -> Said:
        said = super().__new__(cls, sentence)
        said.data = data
        return said

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


def spec_file(a: argparse.Namespace) -> str | None:
    """The polyaxonfile of ``sweep``: the positional FILE or ``-f FILE`` (not two different)."""
    positional, option = getattr(a, "spec", None), getattr(a, "file", None)
    if positional and option and positional != option:
        raise InvalidArgument(f"sweep got two files, {positional!r} and -f {option!r} — give one")
    return positional or option


def _sweep(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    if getattr(a, "function", None):
        return _sweep_function(a, api, text)
    for option in ("matrix", "params", "algorithm", "concurrency", "n_experiments", "image"):
        if getattr(a, option, None) is not None:
            raise InvalidArgument(
                f"--{option.replace('_', '-')} is for function sweeps (--function NAME);"
                " a polyaxonfile states its own hptuning"
            )
    file = spec_file(a)
    if not file and text is None:
        raise InvalidArgument(
            "sweep needs a FILE: `mlpipe sweep FILE` (or -f FILE; in a notebook, the spec as"
            " a %%mlpipe sweep cell)"
        )
    return api.sweep(file, text=text, **_submit_options(a))


def _submit_options(a: argparse.Namespace) -> dict[str, Any]:
    """The options every sweep takes, spec or function."""
    names = ("name", "project", "backend", "wait", "dry_run", "retries", "timeout", "objective")
    return {name: getattr(a, name) for name in names}


def _sweep_function(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    """``--function NAME``: the magics put the notebook's object in ``a.function_object``."""
    function = getattr(a, "function_object", None)
    if function is None:
        raise InvalidArgument(
            f"--function {a.function}: a function sweep runs a function of the notebook — use"
            " `%mlpipe sweep --function NAME --matrix ...` there, or `api.sweep(train,"
            " matrix=...)` in Python"
        )
    if spec_file(a):
        raise InvalidArgument("give either FILE or --function NAME, not both")
    if a.matrix is not None and text is not None:
        raise InvalidArgument("give the matrix either as the cell body or with --matrix")
    return api.sweep(
        function,
        matrix=_mapping(a.matrix if a.matrix is not None else text, "--matrix"),
        params=_mapping(a.params, "--params") if a.params is not None else None,
        algorithm=a.algorithm or "grid",
        concurrency=a.concurrency or 1,
        n_experiments=a.n_experiments,
        image=a.image,
        **_submit_options(a),
    )


def _mapping(text: str | None, option: str) -> dict[str, Any]:
    """A JSON or YAML mapping given on the command line (or as a cell body)."""
    import yaml

    if text is None or not text.strip():
        raise InvalidArgument(
            f"a function sweep needs its matrix: {option} '{{\"lr\": {{\"values\": [0.01,"
            " 0.1]}}' (or the matrix as the %%mlpipe cell body)"
        )
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"{option} is not JSON or YAML ({exc}) — got {text!r}") from None
    if not isinstance(value, dict):
        raise InvalidArgument(
            f"{option} must be a mapping of name → value, got {type(value).__name__}: {text!r}"
        )
    return value


def _plot(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    """In a terminal: write PNGs (``--save``, default ``group-N.png``); in a notebook: live."""
    handle = api.handle(a.group, project=a.project)
    if a.save or getattr(a, "terminal", False):
        path = a.save or f"group-{a.group}.png"
        return api.save_plot(a.group, tuple(a.metric), path, project=a.project)
    logged = api.metric_names(a.group, project=a.project)
    unknown = [m for m in a.metric if logged and m not in logged]
    if unknown:
        raise InvalidArgument(
            f"group {a.group} logged no metric {unknown[0]!r} — it logged {', '.join(logged)}"
        )
    return handle.plot(tuple(a.metric))


def _config(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    if a.key is None:
        return api.config()
    if a.value is None:
        rows = [r for r in api.config() if r["name"] == a.key]
        if not rows:
            raise InvalidArgument(f"unknown setting {a.key!r} — `mlpipe config` lists them")
        return rows
    path = api.set_config(a.key, a.value)
    return Said(
        f"{a.key} = {a.value} (saved in {path})",
        {"name": a.key, "value": a.value, "source": str(path)},
    )


def _cluster(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    return api.cluster_manifests(
        nfs_server=a.nfs_server,
        namespace=a.namespace,
        nfs_path=a.nfs_path,
        jupyter_image=a.jupyter_image,
    )


def _objective(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    if a.objective is None:
        current = api.objective(a.group, project=a.project)
        data = {"group": a.group, "objective": current.to_dict() if current else None}
        if current is None:
            return Said(
                f"group {a.group} has no objective — set one: mlpipe objective {a.group}"
                " METRIC:max",
                data,
            )
        return Said(f"group {a.group} optimises {current}", data)
    chosen = api.set_objective(a.group, a.objective, project=a.project)
    return Said(
        f"group {a.group} now optimises {chosen}", {"group": a.group, "objective": chosen.to_dict()}
    )


def _undeploy(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    api.undeploy(a.name)
    return Said(f"deployment {a.name} removed", {"name": a.name, "removed": True})


def _stop(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    outcome = api.stop(a.group, experiment=a.experiment, project=a.project)
    return Said(str(outcome), outcome.to_dict())


def _deploy(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    result = api.deploy(
        a.name,
        backend=a.backend,
        port=a.port,
        replicas=a.replicas,
        canary=a.canary,
        shadow=a.shadow,
        dry_run=a.dry_run,
        image=a.image,
    )
    return result if a.dry_run else api.deployed(result)


def _ship(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    return api.ship(
        a.group,
        experiment=a.experiment,
        name=a.name,
        project=a.project,
        image=a.image,
        backend=a.backend,
        metric=a.metric,
        mode=a.mode,
        force=a.force,
        on_progress=getattr(a, "on_progress", None),
        **_package_options(a),
    )


def _package_options(a: argparse.Namespace) -> dict[str, Any]:
    """What ``package`` and ``ship`` both take: the model's source, class, files, needs."""
    return {
        "source": a.source,
        "checkpoints": a.checkpoint,
        "model_class": a.model_class,
        "requirements": a.requirements,
    }


def _operations(a: argparse.Namespace, api: Mlpipe, text: str | None) -> Any:
    if a.id is not None:
        return api.operation(a.id)
    if a.limit < 1:
        raise InvalidArgument(f"--limit must be 1 or more, got {a.limit}")
    return api.operations(a.limit)


HANDLERS: dict[str, Callable[[argparse.Namespace, Mlpipe, str | None], Any]] = {
    "sweep": _sweep,
    "resume": lambda a, api, t: api.resume(a.group, project=a.project),
    "groups": lambda a, api, t: api.groups(project=a.project),
    "experiments": lambda a, api, t: api.experiments(
        a.group, project=a.project, sort=a.sort, columns="all" if a.all else "compare"
    ),
    "logs": lambda a, api, t: api.logs(a.experiment, project=a.project, follow=a.follow),
    "plot": _plot,
    "stop": _stop,
    "best": lambda a, api, t: api.best(a.group, a.metric, mode=a.mode, project=a.project),
    "package": lambda a, api, t: api.package(
        a.experiment,
        a.name,
        format=a.layout,
        force=a.force,
        **_package_options(a),
        project=a.project,
    ),
    "build": lambda a, api, t: api.build(
        a.name,
        a.image,
        push=a.push,
        backend=a.backend,
        builder=a.builder,
        dry_run=a.dry_run,
        on_line=getattr(a, "on_line", None),
    ),
    "deploy": _deploy,
    "predict": lambda a, api, t: api.predict(a.name, a.input),
    "deployments": lambda a, api, t: api.deployments(),
    "undeploy": _undeploy,
    "objective": _objective,
    "ship": _ship,
    "operations": _operations,
    "config": _config,
    "cluster": _cluster,
}


def run_command(args: argparse.Namespace, api: Mlpipe, text: str | None = None) -> Any:
    """Run the verb in ``args`` and return its result object.

    Args:
        text: the body of a ``%%mlpipe`` cell (the spec for ``sweep``).
    """
    return HANDLERS[args.verb](args, api, text)
