"""``parse_spec`` / ``load_spec``: from polyaxonfile text to a validated :class:`Spec`.

Top-level sections: ``version`` (1), ``kind`` (``group`` or ``experiment``; Polyaxon's other
kinds are a located error naming the alternative), ``hptuning`` (required for groups, refused
for experiments), ``declarations`` and ``params`` (merged), ``build``, ``run`` (required),
``environment``, ``logging``, and Polyaxon v0.4/0.5's labels and typed params (``name``,
``description``, ``tags``, ``framework``, ``backend``, ``inputs``, ``outputs``; see
:mod:`~.metadata`). Polyaxon 0.4's model language (``model``, ``train``, ``eval``) is a located
error. Any other section is an error with a "did you mean" suggestion, and so is any unknown
key at any level below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .document import Context, Node, compose, show, suggest
from .hptuning import MAX_EXPERIMENTS, parse_hptuning
from .matrix import MatrixParam
from .metadata import METADATA_KEYS, apply_io, parse_io, parse_metadata
from .model import Spec
from .options import parse_param
from .sections import (
    Logging,
    merge_params,
    parse_build,
    parse_environment,
    parse_logging,
    parse_params,
    parse_run,
)
from .templating import check_command, check_node_templates
from .tuning import HPTuning

TOP_LEVEL = (
    "version",
    "kind",
    "hptuning",
    "declarations",
    "params",
    "build",
    "run",
    "environment",
    "logging",
    *METADATA_KEYS,
    "inputs",
    "outputs",
)
KINDS = ("group", "experiment")
#: Polyaxon kinds that are not a training run, and what to do instead.
OTHER_KINDS = {
    "job": "write `kind: experiment` (a job is one run of `run.cmd`)",
    "build": "build the image with `mlpipe build`, or put `build:` in an experiment",
    "notebook": "start JupyterLab itself; mlpipe runs inside it",
    "tensorboard": "run `tensorboard --logdir` on the outputs folder",
    "pipeline": "run the steps as separate sweeps, or chain commands in `run.cmd`",
}
#: Polyaxon v0.4's built-in TensorFlow model language.
DSL_SECTIONS = ("model", "train", "eval")
EXAMPLE = "start the file with `version: 1` and `kind: group`"


def parse_spec(text: str | Mapping[str, Any], file: str = "<spec>") -> Spec:
    """Parse and validate a polyaxonfile.

    Args:
        text: the YAML text (or an already-loaded mapping, which is re-serialised first).
        file: a path or label for error messages.

    Returns:
        The validated spec.

    Raises:
        SpecError: the only exception this function raises on any input; its message reads
            ``file:line:col: rule, got value — fix``.
    """
    ctx = Context(file)
    text = _as_text(text, ctx)
    root = compose(text, ctx)
    if not root.is_mapping:
        raise ctx.error(root, "a spec must be a mapping of sections", show(root), EXAMPLE)
    sections = root.value
    _version(root, ctx)
    kind = _kind(root, ctx)
    for key in DSL_SECTIONS:
        if key in sections:
            raise ctx.error(
                root.key_position(key),
                "Polyaxon v0.4's built-in model language ('model', 'train', 'eval') cannot run",
                key,
                "write the model in a training script and run it from `run.cmd`",
            )
    ctx.check_keys(root, TOP_LEVEL, "the top level")
    declarations = _declarations(sections, ctx)
    warnings: list[str] = []
    if kind == "group":
        hp_node = ctx.require(root, "hptuning", "a group", "add `hptuning:` with a `matrix:`")
        hptuning = parse_hptuning(hp_node, ctx)
        matrix = _matrix(hp_node, ctx, warnings, _template_values(declarations, sections, ctx))
        hptuning = _apply_algorithm_rules(hptuning, matrix, hp_node, ctx, warnings)
        _resource_not_declared(hptuning, sections, ctx)
    else:
        if "hptuning" in sections:
            raise ctx.error(
                root.key_position("hptuning"),
                "'hptuning' only applies to `kind: group`",
                "kind: experiment",
                "use `kind: group` to sweep, or remove 'hptuning'",
            )
        hptuning, matrix = HPTuning(n_experiments=1), {}
    run_node = ctx.require(root, "run", "a spec", "add `run: {cmd: python run.py}`")
    run = parse_run(run_node, ctx)
    build = parse_build(sections["build"], ctx) if "build" in sections else None
    environment = (
        parse_environment(sections["environment"], ctx) if "environment" in sections else {}
    )
    log = parse_logging(sections["logging"], ctx) if "logging" in sections else Logging()
    inputs = parse_io(sections["inputs"], "inputs", ctx) if "inputs" in sections else ()
    outputs = parse_io(sections["outputs"], "outputs", ctx) if "outputs" in sections else ()
    declarations, flags = apply_io(declarations, inputs, outputs, matrix, sections, ctx)
    known = set(declarations) | set(matrix)
    if hptuning.hyperband is not None:
        known.add(hptuning.hyperband.resource.name)
    check_command(run.cmd, known, ctx, (run.line, run.col))
    for name in ("build", "environment"):
        if name in sections:
            check_node_templates(sections[name], known, ctx, f"'{name}'")
    warnings.extend(_override_warnings(declarations, matrix))
    return Spec(
        kind=kind,
        version=1,
        declarations=declarations,
        matrix=matrix,
        hptuning=hptuning,
        run=run,
        build=build,
        environment=environment,
        warnings=tuple(warnings),
        source_text=text,
        file=file,
        logging=log,
        metadata=parse_metadata(sections, ctx),
        inputs=inputs,
        outputs=outputs,
        flags=flags,
    )


def load_spec(path: str | Path) -> Spec:
    """Read and parse the polyaxonfile at ``path``.

    Raises:
        SpecError: the file cannot be read (located at the path) or breaks a rule.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SpecError(
            "the spec file cannot be read",
            reason,
            "check the path and that the file is UTF-8 text",
            file=str(path),
        ) from None
    return parse_spec(text, file=str(path))


def _as_text(text: Any, ctx: Context) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, Mapping):
        import yaml

        try:
            dumped: str = yaml.safe_dump(dict(text), sort_keys=False)
        except (yaml.YAMLError, TypeError, ValueError, RecursionError) as exc:
            raise ctx.error(
                None,
                "the spec mapping holds values YAML cannot represent",
                str(exc)[:80],
                "use strings, numbers, lists and mappings",
            ) from None
        return dumped
    raise ctx.error(
        None, "a spec must be YAML text or a mapping", type(text).__name__, "pass the file's text"
    )


def _version(root: Node, ctx: Context) -> None:
    node = ctx.require(root, "version", "a spec", EXAMPLE)
    if isinstance(node.value, bool) or node.value != 1:
        raise ctx.error(
            node, "only `version: 1` polyaxonfiles are supported", show(node), "write `version: 1`"
        )


def _kind(root: Node, ctx: Context) -> str:
    node = ctx.require(
        root, "kind", "a spec", "add `kind: group` (a sweep) or `kind: experiment` (one run)"
    )
    if isinstance(node.value, str) and node.value in OTHER_KINDS:
        raise ctx.error(
            node,
            f"`kind: {node.value}` cannot run here: only experiments and groups run",
            node.value,
            OTHER_KINDS[node.value],
        )
    if not isinstance(node.value, str) or node.value not in KINDS:
        raise ctx.error(
            node, "'kind' must be group or experiment", show(node), suggest(str(node.value), KINDS)
        )
    return node.value


def _declarations(sections: dict[str, Node], ctx: Context) -> dict[str, Any]:
    first = (
        parse_params(sections["declarations"], "declarations", ctx)
        if "declarations" in sections
        else {}
    )
    if "params" not in sections:
        return first
    second = parse_params(sections["params"], "params", ctx)
    return merge_params(first, second, sections["params"], ctx)


def _template_values(
    declarations: Mapping[str, Any], sections: Mapping[str, Node], ctx: Context
) -> dict[str, Any]:
    """Values a matrix option may name as ``"{{ name }}"``: declarations and input defaults."""
    inputs = parse_io(sections["inputs"], "inputs", ctx) if "inputs" in sections else ()
    return {**{io.name: io.default for io in inputs if io.default is not None}, **declarations}


def _matrix(
    hp_node: Node, ctx: Context, warnings: list[str], context: Mapping[str, Any]
) -> dict[str, MatrixParam]:
    node = ctx.require(
        hp_node,
        "matrix",
        "'hptuning'",
        "add `matrix:` with one param, e.g. `lr: {linspace: 0.001:0.1:5}`",
    )
    ctx.mapping(node, "'hptuning.matrix'")
    if not node.value:
        raise ctx.error(
            node,
            "'hptuning.matrix' needs at least one param",
            show(node),
            "add a param, e.g. `lr: {linspace: 0.001:0.1:5}`",
        )
    matrix = {}
    for name, child in node.items():
        if not name.strip():
            raise ctx.error(
                node.key_position(name), "a matrix param needs a name", repr(name), "name the param"
            )
        param = parse_param(name, child, ctx, context)
        matrix[name] = param
        warnings.extend(_param_warnings(param))
    return matrix


def _param_warnings(param: MatrixParam) -> list[str]:
    out = []
    if param.option == "pvalues" and param.args.get("sum", 1.0) != 1.0:
        out.append(
            f"the probabilities of matrix param '{param.name}' sum to {param.args['sum']:g}; "
            "each was divided by that sum"
        )
    if param.option == "values":
        repeats = len(param.args["values"]) - len(param.choices())
        if repeats:
            out.append(
                f"matrix param '{param.name}' lists {repeats} repeated value(s); "
                "each distinct value is used once"
            )
    if (
        param.option in ("loguniform", "qloguniform")
        and 0 <= param.args["low"]
        and param.args["high"] <= 1
    ):
        low, high = param.args["low"], param.args["high"]
        out.append(
            f"'{param.option}' bounds of '{param.name}' are natural-log exponents: "
            f"{low:g}:{high:g} samples values between {math.exp(low):.4g} and "
            f"{math.exp(high):.4g}; for values between {low:g} and {high:g} write "
            f"{_log_bounds(low, high)}"
        )
    return out


def _log_bounds(low: float, high: float) -> str:
    if low > 0:
        return f"{math.log(low):.4g}:{math.log(high):.4g}"
    return "log(low):log(high)"


def _apply_algorithm_rules(
    hp: HPTuning, matrix: dict[str, MatrixParam], hp_node: Node, ctx: Context, warnings: list[str]
) -> HPTuning:
    """Grid refuses distributions and bounds its size; random is capped to a finite space;
    hyperband's resource must not be a matrix param."""
    from dataclasses import replace

    if hp.algorithm == "grid":
        for param in matrix.values():
            if param.is_distribution:
                raise ctx.error(
                    (param.line, param.col),
                    f"grid search cannot enumerate '{param.option}' (matrix param '{param.name}')",
                    param.option,
                    "use a discrete option (values, range, linspace, logspace, "
                    "geomspace) or `random_search`",
                )
        size = space_size(matrix)
        planned = size if hp.n_experiments is None else min(size, hp.n_experiments)
        if planned > MAX_EXPERIMENTS:
            raise ctx.error(
                hp_node,
                f"a grid search plans at most {MAX_EXPERIMENTS} experiments",
                f"{size} combinations",
                "set `grid_search: {n_experiments: N}` or use random_search",
            )
        if hp.n_experiments is not None and hp.n_experiments > size:
            warnings.append(
                f"grid_search.n_experiments is {hp.n_experiments} but the grid "
                f"holds {size} combinations; running {size}"
            )
        return replace(hp, n_experiments=planned)
    if hp.algorithm == "random":
        assert hp.n_experiments is not None
        if all(p.is_finite for p in matrix.values()):
            size = space_size(matrix)
            if size < hp.n_experiments:
                warnings.append(
                    f"random_search.n_experiments is {hp.n_experiments} but the "
                    f"matrix holds only {size} distinct combinations; running {size}"
                )
                return replace(hp, n_experiments=size)
        return hp
    if hp.hyperband is not None and hp.hyperband.resource.name in matrix:
        param = matrix[hp.hyperband.resource.name]
        raise ctx.error(
            (param.line, param.col),
            "hyperband's resource may not be a matrix param",
            param.name,
            "remove it from the matrix; hyperband sets it for every experiment",
        )
    if hp.bo is not None and hp.bo.utility_function:
        warnings.append(
            "bo.utility_function is kept but not used: suggestions come from Optuna's TPE sampler"
        )
    return hp


def _resource_not_declared(hp: HPTuning, sections: dict[str, Node], ctx: Context) -> None:
    """A declaration would win over hyperband's budget param and silently defeat it."""
    if hp.hyperband is None:
        return
    name = hp.hyperband.resource.name
    for section in ("declarations", "params"):
        node = sections.get(section)
        if node is not None and node.is_mapping and name in node.value:
            raise ctx.error(
                node.key_position(name),
                f"hyperband's resource may not be set in '{section}'",
                name,
                "remove it there; hyperband sets it for every experiment",
            )


def space_size(matrix: Mapping[str, MatrixParam]) -> int:
    """Number of distinct combinations of finite params (their product)."""
    return math.prod(len(p.choices()) for p in matrix.values())


def _override_warnings(
    declarations: Mapping[str, Any], matrix: Mapping[str, MatrixParam]
) -> list[str]:
    return [
        f"declaration '{name}' has the same name as a matrix param; the declared value "
        "wins in every experiment"
        for name in matrix
        if name in declarations
    ]

