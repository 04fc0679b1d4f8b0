"""Function sweeps: sweep a function defined in the notebook, no files written by the user.

``api.sweep(train, matrix={"lr": {"linspace": "0.001:0.1:5"}}, objective="accuracy:max")``

* The function is pickled with cloudpickle (closures, helpers and notebook imports travel with
  it; a function of the user's own module next to the notebook travels with its module) and
  stored as ``function.pkl`` in the group folder, with its source text (``function.py``, best
  effort) for provenance.
* An equivalent polyaxonfile is generated (:func:`function_spec`) and stored as the group's
  ``spec.yml``, so the store, supervisor, plots, ``best``, ``ship``, the sidebar and the
  Kubernetes backend see an ordinary group. Its ``run.cmd`` runs
  :mod:`jupyter_mlpipe.tracking.function_trial` with the notebook's Python ``major.minor`` and
  cloudpickle version, which the trial checks before unpickling.
* Before any group exists: a function cloudpickle cannot serialise, a matrix or fixed param the
  function does not accept, or a required argument no param provides is an
  :class:`~jupyter_mlpipe.errors.InvalidArgument`; a malformed matrix is a
  :class:`~jupyter_mlpipe.errors.SpecError`.
"""

from __future__ import annotations

import inspect
import sys
import sysconfig
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import InvalidArgument
from ..tracking.function_trial import FUNCTION_FILE, SOURCE_FILE, TRIAL_MODULE, python_version

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store import Objective
    from .sweeps import Sweep

#: Algorithm names a function sweep accepts, and their polyaxonfile sections.
ALGORITHMS = {
    "grid": "grid_search",
    "random": "random_search",
    "hyperband": "hyperband",
    "bo": "bo",
}


def function_name(function: Callable[..., Any]) -> str:
    return str(getattr(function, "__name__", None) or type(function).__name__)


def pickle_function(function: Callable[..., Any]) -> bytes:
    """The function as cloudpickle bytes.

    Raises:
        InvalidArgument: cloudpickle cannot serialise it (the reason names what it holds).
    """
    import cloudpickle

    module = _own_module(function)
    if module is not None:
        cloudpickle.register_pickle_by_value(module)
    try:
        return bytes(cloudpickle.dumps(function))
    except Exception as exc:
        raise InvalidArgument(
            f"{function_name(function)} cannot be sent to its trials: cloudpickle fails with"
            f" {type(exc).__name__}: {exc} — create such objects (locks, open files, clients,"
            " generators) inside the function instead of capturing them"
        ) from exc
    finally:
        if module is not None:
            cloudpickle.unregister_pickle_by_value(module)


def _own_module(function: Callable[..., Any]) -> ModuleType | None:
    """The user's own module that defines ``function`` (a file next to the notebook), if any.

    cloudpickle sends functions of importable modules by reference, which works only where the
    module can be imported — not in a pod whose image lacks it. A module that is not installed
    (not under the interpreter's library folders) is sent by value instead, with the function.
    """
    name = getattr(function, "__module__", None)
    module = sys.modules.get(name) if isinstance(name, str) else None
    path = getattr(module, "__file__", None)
    if module is None or name == "__main__" or not path:
        return None
    installed = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    resolved = Path(path).resolve()
    if any(resolved.is_relative_to(Path(p).resolve()) for p in installed):
        return None
    return module


def source_text(function: Callable[..., Any]) -> bytes:
    """The function's source for provenance, or a note saying why it is not available."""
    try:
        return inspect.getsource(function).encode("utf-8")
    except (OSError, TypeError) as exc:
        return f"# source of {function_name(function)} not available: {exc}\n".encode()


def check_signature(function: Callable[..., Any], names: set[str]) -> None:
    """Every param must be a keyword the function takes; every required argument a param.

    Raises:
        InvalidArgument: naming the params, the function's parameters and the fix.
    """
    label = function_name(function)
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"cannot read the parameters of {label}: {exc}") from exc
    params = signature.parameters.values()
    keywords = {
        p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params)
    bare = signature.replace(
        parameters=[p.replace(annotation=p.empty) for p in params],
        return_annotation=signature.empty,
    )
    shown = f"{label}{bare}"
    unknown = sorted(names - keywords) if not takes_any else []
    if unknown:
        raise InvalidArgument(
            f"{shown} takes no keyword argument {', '.join(map(repr, unknown))} — rename the"
            " matrix param, or add it to the function's parameters"
        )
    missing = [
        p.name
        for p in params
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and (p.name not in names or p.kind == p.POSITIONAL_ONLY)
    ]
    if missing:
        raise InvalidArgument(
            f"{shown} needs {', '.join(map(repr, missing))}, which no param provides — add it"
            " to the matrix or to params={...}, or give it a default"
        )


def function_spec(
    function: Callable[..., Any],
    matrix: Mapping[str, Any],
    *,
    params: Mapping[str, Any] | None = None,
    algorithm: str = "grid",
    concurrency: int = 1,
    n_experiments: int | None = None,
    search: Mapping[str, Any] | None = None,
    seed: int | None = None,
    objective: Objective | None = None,
    image: str | None = None,
    build_steps: list[str] | None = None,
) -> str:
    """The polyaxonfile equivalent to sweeping ``function`` (pure: returns YAML text).

    Args:
        matrix: param → one polyaxonfile option (``{"values": [...]}``, ``{"linspace": ...}``).
        params: fixed keyword arguments of every trial (the spec's ``declarations``).
        algorithm: ``grid``, ``random``, ``hyperband`` or ``bo``.
        n_experiments: for ``grid`` (a limit) and ``random`` (required there).
        search: further settings of the algorithm's section (e.g. hyperband's ``max_iter``);
            adaptive algorithms take their ``metric`` from ``objective`` when it is absent.
        image, build_steps: the trial image and its build steps (Kubernetes backend).

    Raises:
        InvalidArgument: an unknown algorithm, or a matrix that is not a mapping.
    """
    if algorithm not in ALGORITHMS:
        raise InvalidArgument(
            f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}"
        )
    if not isinstance(matrix, Mapping) or not matrix:
        raise InvalidArgument(
            "matrix must map each param to one option, e.g."
            ' {"lr": {"values": [0.01, 0.1]}}' + f", got {matrix!r}"
        )
    section: dict[str, Any] = dict(search or {})
    if n_experiments is not None:
        section["n_experiments"] = n_experiments
    if algorithm in ("hyperband", "bo") and "metric" not in section and objective is not None:
        optimization = "maximize" if objective.mode == "max" else "minimize"
        section["metric"] = {"name": objective.metric, "optimization": optimization}
    hptuning: dict[str, Any] = {"concurrency": concurrency}
    if seed is not None:
        hptuning["seed"] = seed
    if section or algorithm != "grid":
        hptuning[ALGORITHMS[algorithm]] = section
    hptuning["matrix"] = {str(k): v for k, v in matrix.items()}
    import cloudpickle

    doc: dict[str, Any] = {"version": 1, "kind": "group", "hptuning": hptuning}
    if params:
        doc["declarations"] = dict(params)
    if image or build_steps:
        doc["build"] = {"image": image or "python:" + python_version(), **(
            {"build_steps": list(build_steps)} if build_steps else {}
        )}
    doc["run"] = {
        "cmd": f"python -m {TRIAL_MODULE} --python {python_version()}"
        f" --cloudpickle {cloudpickle.__version__}"
    }
    head = (
        f"# Generated by jupyter-mlpipe from the function {function_name(function)}"
        f" ({FUNCTION_FILE}; source in {SOURCE_FILE}).\n"
    )
    return head + yaml.safe_dump(doc, sort_keys=False, width=10_000)


class FunctionVerbs:
    """``sweep_function``, mixed into ``Mlpipe``."""

    settings: Settings
    _submit: Callable[..., Sweep | list[dict[str, Any]]]

    def sweep_function(
        self,
        function: Callable[..., Any],
        *,
        matrix: Mapping[str, Any],
        params: Mapping[str, Any] | None = None,
        algorithm: str = "grid",
        concurrency: int = 1,
        n_experiments: int | None = None,
        search: Mapping[str, Any] | None = None,
        seed: int | None = None,
        objective: str | Objective | None = None,
        image: str | None = None,
        build_steps: list[str] | None = None,
        name: str | None = None,
        **options: Any,
    ) -> Sweep | list[dict[str, Any]]:
        """Sweep a function: each experiment calls ``function(**params)`` in its own process.

        The function may log with :func:`jupyter_mlpipe.tracking.log_metrics`, save checkpoints
        under :func:`jupyter_mlpipe.tracking.get_outputs_path`, and return a dict of final
        metrics (logged for it). An exception fails its experiment: the traceback is in the
        experiment's log, its last line in the experiment's status message. Trials run under
        the group's detached supervisor, as for any sweep: the sweep goes on when the kernel
        restarts; ``api.handle(group)`` (``%mlpipe attach GROUP``) finds it again.

        Args:
            function: a function (a closure, a lambda, a callable object) of keyword arguments.
            matrix, params, algorithm, concurrency, n_experiments, search, seed, image,
                build_steps: see :func:`function_spec`.
            objective: what the sweep optimises (``"accuracy:max"``); recommended, as nothing
                else names the metric.
            name: the group's name (default: the function's name).
            **options: ``project``, ``backend``, ``wait``, ``dry_run``, ``progress``,
                ``retries``, ``timeout`` as for :meth:`Mlpipe.sweep`.

        Returns:
            A :class:`~jupyter_mlpipe.api.Sweep` (the rendered plan or manifests with
            ``dry_run``).

        Raises:
            InvalidArgument: the function cannot be pickled, takes no such keyword, or needs an
                argument no param provides; an unknown algorithm.
            SpecError: the matrix breaks a polyaxonfile rule.
        """
        from ..spec import parse_spec
        from ..store import Objective

        if not callable(function):
            raise InvalidArgument(f"sweep_function needs a function, got {function!r}")
        chosen = Objective.parse(objective) if isinstance(objective, str) else objective
        backend = options.get("backend") or self.settings.backend
        if backend == "kubernetes" and not image:
            import cloudpickle

            raise InvalidArgument(
                "a function sweep on the kubernetes backend needs image=REF: an image with"
                f" Python {python_version()}, cloudpickle=={cloudpickle.__version__} and"
                " jupyter-mlpipe (the trials check both versions before they start)"
            )
        fname = function_name(function)
        label = f"<function {fname}>"
        text = function_spec(
            function,
            matrix,
            params=params,
            algorithm=algorithm,
            concurrency=concurrency,
            n_experiments=n_experiments,
            search=search,
            seed=seed,
            objective=chosen,
            image=image,
            build_steps=build_steps,
        )
        spec = parse_spec(text, file=label)
        names = set(spec.declarations) | set(spec.matrix)
        if spec.hptuning.hyperband is not None:
            names.add(spec.hptuning.hyperband.resource.name)
        check_signature(function, names)
        files = {FUNCTION_FILE: pickle_function(function), SOURCE_FILE: source_text(function)}
        return self._submit(
            text,
            label,
            Path.cwd().resolve(),
            files=files,
            name=name or (fname if fname.isidentifier() else None),  # not "<lambda>"
            objective=chosen,
            function_sweep=True,
            **options,
        )
