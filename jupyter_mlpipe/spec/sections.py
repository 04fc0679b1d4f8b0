"""The ``build``, ``run``, ``environment`` and ``logging`` sections and the params mappings.

- ``build``: ``image``, or a ``dockerfile`` (with ``context``), or a ``ref`` (one of the three
  is required); ``build_steps`` (list of strings), ``env_vars`` (``[[NAME, value], ...]`` or
  ``{NAME: value}``), ``nocache`` and a build ``environment``. Kept for image builds on the
  Kubernetes backend; the local backend runs in the current environment.
- ``run``: ``cmd``, one command line (a string; ``\\`` + newline continues it) or a list of
  them, read into steps by :mod:`~.commands`.
- ``environment``: kept as a plain dict for the Kubernetes backend; its top-level keys are
  checked (``resources``, ``node_selector``, ``tolerations``, ``affinity``, ``data_refs`` ...),
  the values are passed through; distributed replicas are a located error.
- ``logging``: ``level`` (DEBUG, INFO, WARNING, ERROR, CRITICAL, any case) and an optional
  ``formatter``.
- ``declarations`` / ``params``: mappings of names to any YAML value, merged (a name may not be
  declared in both).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .document import Context, Node, show
from .scalars import boolean, choice, text

ENVIRONMENT_KEYS = (
    "resources",
    "node_selector",
    "tolerations",
    "affinity",
    "service_account",
    "image_pull_secrets",
    "max_restarts",
    "secret_refs",
    "config_map_refs",
    "configmap_refs",
    "persistence",
    "outputs",
    "labels",
    "annotations",
    "security_context",
    "env_vars",
    "data_refs",
    "artifact_refs",
)
#: Polyaxon v0 keys for distributed training: they cannot run on one trial process.
DISTRIBUTED_KEYS = ("replicas", "tensorflow", "horovod", "mxnet", "pytorch", "mpi")
RESOURCE_KEYS = ("cpu", "memory", "gpu", "tpu")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Build:
    """How to build the trial image (used by the Kubernetes backend).

    ``image`` is the base image (None when a ``dockerfile`` describes the build instead, as
    Polyaxon v0 allowed); ``ref`` is the git ref of the code to build from.
    """

    image: str | None = None
    build_steps: tuple[str, ...] = ()
    env_vars: tuple[tuple[str, str], ...] = ()
    dockerfile: str | None = None
    context: str | None = None
    ref: str | None = None
    nocache: bool = False
    environment: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "build_steps": list(self.build_steps),
            "env_vars": [list(pair) for pair in self.env_vars],
            "dockerfile": self.dockerfile,
            "context": self.context,
            "ref": self.ref,
            "nocache": self.nocache,
            "environment": dict(self.environment),
        }


@dataclass(frozen=True)
class Run:
    """The trial command template(s) and where they were written.

    Attributes:
        cmd: one command line, or a tuple of them (``run.cmd`` written as a list).
    """

    cmd: str | tuple[str, ...]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)

    @property
    def commands(self) -> tuple[str, ...]:
        """The command lines, in order (one for a string ``cmd``)."""
        return (self.cmd,) if isinstance(self.cmd, str) else tuple(self.cmd)

    def to_dict(self) -> dict[str, Any]:
        return {"cmd": self.cmd if isinstance(self.cmd, str) else list(self.cmd)}


@dataclass(frozen=True)
class Logging:
    """The trial's log level (exported as ``MLPIPE_TRIAL_LOG_LEVEL``)."""

    level: str = "INFO"
    formatter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "formatter": self.formatter}


def parse_build(node: Node, ctx: Context) -> Build:
    """Read ``build``: ``image``, a ``dockerfile`` or a ``ref`` (a git ref, Polyaxon 0.5),
    plus an optional build ``environment`` (Polyaxon 0.5, kept for the build job).

    Raises:
        SpecError: unknown keys, none of image/dockerfile/ref, or bad types.
    """
    ctx.mapping(node, "'build'")
    ctx.check_keys(
        node,
        (
            "image",
            "build_steps",
            "env_vars",
            "dockerfile",
            "context",
            "ref",
            "nocache",
            "environment",
        ),
        "'build'",
    )
    image = None
    if "image" in node.value:
        image = text(node.value["image"], "'build.image'", ctx)
    elif "dockerfile" not in node.value and "ref" not in node.value:
        raise ctx.error(
            node,
            "'build' needs 'image', 'dockerfile' or 'ref'",
            None,
            "name the base image, e.g. `image: python:3.11-slim`, or `dockerfile: Dockerfile`",
        )
    steps: tuple[str, ...] = ()
    if "build_steps" in node.value:
        steps = _strings(node.value["build_steps"], "'build.build_steps'", ctx)
    env: tuple[tuple[str, str], ...] = ()
    if "env_vars" in node.value:
        env = _env_vars(node.value["env_vars"], ctx)
    extra: dict[str, Any] = {}
    for name in ("dockerfile", "context"):
        if name in node.value:
            extra[name] = text(node.value[name], f"'build.{name}'", ctx)
    if "ref" in node.value:
        ref = node.value["ref"]
        if isinstance(ref.value, int) and not isinstance(ref.value, bool):
            extra["ref"] = str(ref.value)
        else:
            extra["ref"] = text(ref, "'build.ref'", ctx)
    if "nocache" in node.value:
        extra["nocache"] = boolean(node.value["nocache"], "'build.nocache'", ctx)
    if "environment" in node.value:
        extra["environment"] = parse_environment(node.value["environment"], ctx)
    return Build(image, steps, env, **extra)


def _strings(node: Node, what: str, ctx: Context) -> tuple[str, ...]:
    if node.value is None:
        return ()
    if not node.is_sequence:
        raise ctx.error(
            node, f"{what} must be a list of strings", show(node), "write one `- step` per line"
        )
    for item in node.value:
        if not isinstance(item.value, str):
            raise ctx.error(item, f"{what} must be a list of strings", show(item), "quote the step")
    return tuple(item.value for item in node.value)


def _env_vars(node: Node, ctx: Context) -> tuple[tuple[str, str], ...]:
    fix = "write `env_vars: [[NAME, value], ...]`"
    if node.value is None:
        return ()
    if node.is_mapping:
        pairs = [(k, child) for k, child in node.items()]
    elif node.is_sequence:
        pairs = []
        for item in node.value:
            if (
                not item.is_sequence
                or len(item.value) != 2
                or not isinstance(item.value[0].value, str)
            ):
                raise ctx.error(item, "'build.env_vars' takes [NAME, value] pairs", show(item), fix)
            pairs.append((item.value[0].value, item.value[1]))
    else:
        raise ctx.error(node, "'build.env_vars' takes [NAME, value] pairs", show(node), fix)
    out = []
    for name, value in pairs:
        if not value.is_scalar or value.value is None:
            raise ctx.error(value, f"env var {name!r} needs a scalar value", show(value), fix)
        out.append((name, _scalar_text(value)))
    return tuple(out)


def _scalar_text(node: Node) -> str:
    if isinstance(node.value, bool):
        return "true" if node.value else "false"
    return node.value if isinstance(node.value, str) else str(node.raw or node.value)


def parse_run(node: Node, ctx: Context) -> Run:
    """Read ``run``; ``cmd`` is one command line or a list of them (run in order, each only
    when the previous one succeeded).

    Raises:
        SpecError: an empty or non-string command, or Polyaxon v0.4's ``cmd: {if: ...}``
            (with the alternative: a Jinja ``{% if %}`` inside an argument).
    """
    ctx.mapping(node, "'run'")
    ctx.check_keys(node, ("cmd",), "'run'")
    fix = "write `cmd: python run.py --lr={{ lr }}`"
    cmd = ctx.require(node, "cmd", "'run'", fix)
    if cmd.is_mapping:
        raise ctx.error(
            cmd,
            "'run.cmd' as a mapping (Polyaxon v0.4's `if: {cond, do, else_do}`) is not supported",
            show(cmd),
            "choose inside one argument with Jinja, e.g. "
            "`--num_masks={% if model == 'DNA' %}1{% else %}10{% endif %}`",
        )
    items = cmd.value if cmd.is_sequence else [cmd]
    if not items:
        raise ctx.error(cmd, "'run.cmd' must not be an empty list", show(cmd), fix)
    for item in items:
        if not isinstance(item.value, str) or not item.value.strip():
            raise ctx.error(item, "'run.cmd' must hold non-empty strings", show(item), fix)
    lines = tuple(command_text(item) for item in items)
    return Run(lines[0] if cmd.is_scalar else lines, line=cmd.line, col=cmd.col)


def command_text(node: Node) -> str:
    """The cmd string with every line-ending backslash turned into a space.

    YAML folds the lines of plain, single-quoted and ``>`` scalars, so ``--a=1 \\`` + newline
    reaches us as ``--a=1 \\ --b=2``, which a shell-style split would read as an escaped space.
    In those styles backslashes are literal, so the n-th backslash of the value is the n-th of
    the source: those that ended a source line are continuations and become spaces. (In ``|``
    scalars the newline survives and the split joins the lines; in double quotes YAML itself
    treats a line-ending backslash as a continuation.)
    """
    value: str = node.value
    if node.source is None or node.style not in (None, "'", ">"):
        return value
    body = node.source.partition("\n")[2] if node.style == ">" else node.source
    ordinals = [
        i for i, match in enumerate(re.finditer(r"\\([ \t]*\r?\n)?", body)) if match.group(1)
    ]
    if not ordinals:
        return value
    chars = list(value)
    slashes = [i for i, ch in enumerate(chars) if ch == "\\"]
    for ordinal in ordinals:
        # A newline YAML kept (a more-indented line of a `>` block) ends the continuation
        # itself: keep that backslash for the command reader.
        if ordinal < len(slashes) and not value[slashes[ordinal] + 1 :].lstrip(" \t")[:1] == "\n":
            chars[slashes[ordinal]] = " "
    return "".join(chars)


def parse_environment(node: Node, ctx: Context) -> dict[str, Any]:
    """Read ``environment`` as a plain dict after checking its keys (and resources' keys).

    ``data_refs`` / ``artifact_refs`` (Polyaxon 0.5) are lists of store names (or
    ``{name, paths}`` mappings), kept for the Kubernetes backend. Distributed replicas
    (``replicas``, ``tensorflow``, ``horovod``, ``mxnet``, ``pytorch``, ``mpi``) are a located
    error naming the alternative.
    """
    if node.value is None:
        return {}
    ctx.mapping(node, "'environment'")
    for key in DISTRIBUTED_KEYS:
        if key in node.value:
            raise ctx.error(
                node.key_position(key),
                "distributed replicas cannot run here: each experiment is one process",
                f"environment.{key}",
                "remove it and start the workers from run.cmd (e.g. `torchrun --nproc_per_node"
                "=2 train.py`), or run it on Polyaxon",
            )
    ctx.check_keys(node, ENVIRONMENT_KEYS, "'environment'")
    resources = node.value.get("resources")
    if resources is not None and resources.value is not None:
        ctx.mapping(resources, "'environment.resources'")
        ctx.check_keys(resources, RESOURCE_KEYS, "'environment.resources'")
        for name, child in resources.items():
            if child.value is None:
                continue
            ctx.mapping(child, f"'environment.resources.{name}'")
            ctx.check_keys(child, ("requests", "limits"), f"'environment.resources.{name}'")
    for key in ("data_refs", "artifact_refs"):
        if key in node.value:
            _refs(node.value[key], f"'environment.{key}'", ctx)
    plain: dict[str, Any] = node.plain()
    return plain


def _refs(node: Node, what: str, ctx: Context) -> None:
    fix = "write a list of store names, e.g. `[data1, data2]` or `[{name: data1, paths: [a]}]`"
    if node.value is None:
        return
    if not node.is_sequence:
        raise ctx.error(node, f"{what} must be a list", show(node), fix)
    for item in node.value:
        if isinstance(item.value, str) and item.value.strip():
            continue
        if item.is_mapping and "name" in item.value:
            ctx.check_keys(item, ("name", "paths", "init"), what)
            text(item.value["name"], f"{what} name", ctx)
            continue
        raise ctx.error(item, f"{what} takes names or {{name, paths}}", show(item), fix)


def parse_logging(node: Node, ctx: Context) -> Logging:
    """Read ``logging``: ``level`` and ``formatter``."""
    if node.value is None:
        return Logging()
    ctx.mapping(node, "'logging'")
    ctx.check_keys(node, ("level", "formatter"), "'logging'")
    level = "INFO"
    if "level" in node.value:
        level_node = node.value["level"]
        if isinstance(level_node.value, str):
            level_node = Node(
                level_node.value.upper(), level_node.line, level_node.col, raw=level_node.raw
            )
        level = choice(level_node, LOG_LEVELS, "'logging.level'", ctx)
    formatter = None
    if "formatter" in node.value:
        formatter = text(node.value["formatter"], "'logging.formatter'", ctx)
    return Logging(level, formatter)


def parse_params(node: Node, what: str, ctx: Context) -> dict[str, Any]:
    """Read ``declarations`` or ``params``: a mapping of names to plain values."""
    if node.value is None:
        return {}
    ctx.mapping(node, f"'{what}'")
    return {name: child.plain() for name, child in node.items()}


def merge_params(
    first: Mapping[str, Any], second: Mapping[str, Any], second_node: Node, ctx: Context
) -> dict[str, Any]:
    """Merge ``declarations`` and ``params``; a name in both is an error."""
    for name in second:
        if name in first:
            raise ctx.error(
                second_node.key_position(name),
                "a name may be in 'declarations' or 'params', not both",
                repr(name),
                "keep it in one of the two sections",
            )
    return {**first, **second}
