"""The ``build``, ``run``, ``environment`` and ``logging`` sections and the params mappings.

- ``build``: ``image`` (required), ``build_steps`` (list of strings), ``env_vars`` (``[[NAME,
  value], ...]`` or ``{NAME: value}``), and the optional ``dockerfile``, ``context``, ``ref``,
  ``nocache``. Kept for image builds on the Kubernetes backend; the local backend runs in the
  current environment.
- ``run``: ``cmd``, one command line (a string; ``\\`` + newline continues it).
- ``environment``: kept as a plain dict for the Kubernetes backend; its top-level keys are
  checked (``resources``, ``node_selector``, ``tolerations``, ``affinity`` ...), the values are
  passed through.
- ``logging``: ``level`` (DEBUG, INFO, WARNING, ERROR, CRITICAL) and an optional ``formatter``.
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
)
RESOURCE_KEYS = ("cpu", "memory", "gpu", "tpu")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Build:
    """How to build the trial image (used by the Kubernetes backend)."""

    image: str
    build_steps: tuple[str, ...] = ()
    env_vars: tuple[tuple[str, str], ...] = ()
    dockerfile: str | None = None
    context: str | None = None
    ref: str | None = None
    nocache: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "build_steps": list(self.build_steps),
            "env_vars": [list(pair) for pair in self.env_vars],
            "dockerfile": self.dockerfile,
            "context": self.context,
            "ref": self.ref,
            "nocache": self.nocache,
        }


@dataclass(frozen=True)
class Run:
    """The trial command template and where it was written."""

    cmd: str
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"cmd": self.cmd}


@dataclass(frozen=True)
class Logging:
    """The trial's log level (exported as ``MLPIPE_TRIAL_LOG_LEVEL``)."""

    level: str = "INFO"
    formatter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "formatter": self.formatter}


def parse_build(node: Node, ctx: Context) -> Build:
    """Read ``build``. Raises SpecError for unknown keys, a missing image or bad types."""
    ctx.mapping(node, "'build'")
    ctx.check_keys(
        node,
        ("image", "build_steps", "env_vars", "dockerfile", "context", "ref", "nocache"),
        "'build'",
    )
    image = text(
        ctx.require(
            node, "image", "'build'", "name the base image, e.g. `image: python:3.11-slim`"
        ),
        "'build.image'",
        ctx,
    )
    steps: tuple[str, ...] = ()
    if "build_steps" in node.value:
        steps = _strings(node.value["build_steps"], "'build.build_steps'", ctx)
    env: tuple[tuple[str, str], ...] = ()
    if "env_vars" in node.value:
        env = _env_vars(node.value["env_vars"], ctx)
    extra: dict[str, Any] = {}
    for name in ("dockerfile", "context", "ref"):
        if name in node.value:
            extra[name] = text(node.value[name], f"'build.{name}'", ctx)
    if "nocache" in node.value:
        extra["nocache"] = boolean(node.value["nocache"], "'build.nocache'", ctx)
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
    """Read ``run``; ``cmd`` must be one command line string."""
    ctx.mapping(node, "'run'")
    ctx.check_keys(node, ("cmd",), "'run'")
    cmd = ctx.require(node, "cmd", "'run'", "write `cmd: python run.py --lr={{ lr }}`")
    if cmd.is_sequence:
        raise ctx.error(
            cmd,
            "'run.cmd' must be one command line",
            show(cmd),
            "run several steps from a script and call the script here",
        )
    if not isinstance(cmd.value, str) or not cmd.value.strip():
        raise ctx.error(
            cmd,
            "'run.cmd' must be a non-empty string",
            show(cmd),
            "write `cmd: python run.py --lr={{ lr }}`",
        )
    return Run(command_text(cmd), line=cmd.line, col=cmd.col)


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
        if ordinal < len(slashes):
            chars[slashes[ordinal]] = " "
    return "".join(chars)


def parse_environment(node: Node, ctx: Context) -> dict[str, Any]:
    """Read ``environment`` as a plain dict after checking its keys (and resources' keys)."""
    if node.value is None:
        return {}
    ctx.mapping(node, "'environment'")
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
    plain: dict[str, Any] = node.plain()
    return plain


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
