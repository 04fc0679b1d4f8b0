"""``{{ name }}`` templating of ``run.cmd``, ``build`` and ``environment``, without a shell.

A command line becomes an argv list in three steps:

1. ``\\`` followed by a newline joins the next line (the YAML continuation of the original
   polyaxonfiles);
2. the template is read into steps of argument templates with POSIX quoting rules
   (:mod:`jupyter_mlpipe.spec.commands`: ``&&``, ``;``, ``V=x``, ``export``, ``cd``) *before*
   any value is inserted — Jinja blocks (``{{ ... }}``, ``{% ... %}``, ``{# ... #}``) are
   shielded meanwhile, so ``{{ layer_units[0] }}`` stays inside its argument;
3. each argument is rendered on its own by a sandboxed Jinja2 environment with strict undefined
   names and bounded results (:mod:`jupyter_mlpipe.spec.sandbox`).

So a param value always lands inside exactly the argument that referenced it, whatever it holds
(spaces, quotes, ``;``, ``$(touch x)``, newlines): it is never re-split and never reaches a
shell. A ``{% if %}`` block must therefore open and close within one argument. Strings in
``build`` and ``environment`` are rendered whole (they are data, not command lines).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from ..errors import SpecError
from .commands import FIXES, CommandError, Step, parse_commands
from .document import Context, Node, suggest


@lru_cache(maxsize=1)
def environment() -> Any:
    """The shared bounded sandbox (strict undefined, no autoescape; see :mod:`.sandbox`)."""
    from jinja2 import StrictUndefined

    from .sandbox import BoundedEnvironment

    return BoundedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Any:
    # Every trial renders the same argument templates: compile each once.
    from .sandbox import refuse_loops

    env = environment()
    ast = env.parse(source)
    refuse_loops(ast)
    return env.from_string(ast)


def is_template(text: str) -> bool:
    """True when ``text`` holds a Jinja block."""
    return "{{" in text or "{%" in text or "{#" in text


def check_template(
    source: str, known: Iterable[str], ctx: Context, at: Node | tuple[int, int], what: str
) -> None:
    """Compile ``source`` and refuse names that are neither params nor Jinja globals.

    Raises:
        SpecError: a Jinja syntax error, or an unknown name (with "did you mean" and the known
            names), located at ``at``.
    """
    from jinja2 import TemplateError, meta

    from .sandbox import TooLarge, refuse_loops

    env = environment()
    try:
        ast = env.parse(source)
        refuse_loops(ast)
        undeclared = meta.find_undeclared_variables(ast)  # compiles: unknown filters fail here
    except TooLarge as exc:
        raise ctx.error(
            at,
            f"the template in {what} is not allowed ({exc})",
            source,
            "compute lists and repeated text in the program; keep templates to expressions",
        ) from None
    except TemplateError as exc:
        raise ctx.error(
            at,
            f"the template in {what} does not compile ({exc.message})",
            source,
            "close every {{ with }}, use only Jinja's built-in filters and tests",
        ) from None
    except (RecursionError, MemoryError):
        raise ctx.error(
            at, f"the template in {what} is nested too deeply", source, "simplify the expression"
        ) from None
    known = set(known)
    for name in sorted(undeclared):
        if name not in known and name not in env.globals:
            raise ctx.error(
                at,
                f"the template in {what} uses an undefined name {name!r}",
                source,
                _missing_fix(name, known),
            )


def _missing_fix(name: str, known: set[str]) -> str:
    hint = suggest(name, known) if known else "declare it under 'declarations' or the matrix"
    shown = sorted(known)
    names = ", ".join(shown[:20]) + (f", ... ({len(shown)} in all)" if len(shown) > 20 else "")
    names = names or "none"
    if hint.startswith("did you mean"):
        return f"{hint} (known names: {names})"
    return f"declare it under 'declarations' or the matrix (known names: {names})"


def render_text(
    source: str, params: Mapping[str, Any], ctx: Context, at: tuple[int, int] | None, what: str
) -> str:
    """Render one template string with ``params``.

    Raises:
        SpecError: an undefined name (listing the known ones), a sandbox violation, or any
            error the expression raised, located at ``at``.
    """
    if not is_template(source):
        return source
    from jinja2 import TemplateError, UndefinedError
    from jinja2.exceptions import SecurityError

    from .sandbox import render_bounded

    try:
        return render_bounded(_compiled(source), params)
    except UndefinedError as exc:
        known = set(params)
        raise ctx.error(
            at,
            f"the template in {what} uses an undefined value ({exc.message})",
            source,
            _missing_fix(_undefined_name(exc.message), known),
        ) from None
    except SecurityError as exc:
        raise ctx.error(
            at,
            f"the template in {what} is not allowed ({exc})",
            source,
            "use plain expressions over params; build large or repeated values in the program",
        ) from None
    except (
        TemplateError,
        ArithmeticError,
        LookupError,
        TypeError,
        ValueError,
        AttributeError,
        RecursionError,
        MemoryError,
    ) as exc:
        raise ctx.error(
            at,
            f"the template in {what} failed ({exc.__class__.__name__}: {exc})",
            source,
            "check the expression against the param values",
        ) from None


def _undefined_name(message: str | None) -> str:
    match = re.match(r"'([^']*)' is undefined", message or "")
    return match.group(1) if match else ""


def _steps(commands: Sequence[str], ctx: Context, at: tuple[int, int] | None) -> list[Step]:
    """Read ``run.cmd`` into steps, turning reader errors into located SpecErrors."""
    shown = " && ".join(commands)
    try:
        return parse_commands(list(commands))
    except CommandError as exc:
        raise ctx.error(
            at, f"'run.cmd' runs without a shell: {exc}", shown, FIXES[exc.kind]
        ) from None
    except ValueError as exc:
        raise ctx.error(
            at, f"'run.cmd' cannot be split into arguments ({exc})", shown, "close the quotes"
        ) from None


def render_command(
    cmd: str | Sequence[str],
    params: Mapping[str, Any],
    ctx: Context,
    at: tuple[int, int] | None,
    flags: frozenset[str] = frozenset(),
) -> list[str]:
    """Turn ``run.cmd`` (one command line or a list) into one argv (see the module docstring).

    A single plain command renders to its own argv. Several steps, environment assignments or
    a ``cd`` render to ``[python, -m, jupyter_mlpipe.tracking.steps, --steps-json, JSON]``,
    the step runner (see :mod:`jupyter_mlpipe.tracking.steps`); every value still lands in
    exactly one argument of one step. An argument that is only ``{{ name }}`` of a false
    flag input (``flags``) is dropped.

    Raises:
        SpecError: a construct that needs a shell, unbalanced quotes or any rendering error,
            located at ``at`` (the cmd node).
    """
    commands = [cmd] if isinstance(cmd, str) else list(cmd)
    steps = _steps(commands, ctx, at)

    def text(source: str) -> str:
        return render_text(source, params, ctx, at, "'run.cmd'")

    def args(argv: Sequence[str]) -> list[str]:
        out = []
        for arg in argv:
            value = text(arg)
            match = SOLE_NAME.fullmatch(arg)
            if value == "" and match and match.group(1) in flags:
                continue
            out.append(value)
        return out

    rendered: list[dict[str, Any]] = [
        {
            "argv": args(step.argv),
            "env": {name: text(value) for name, value in step.env},
            "cwd": posixpath.join(*[text(folder) for folder in step.cwd]) if step.cwd else None,
            "always": step.always,
        }
        for step in steps
    ]
    if len(rendered) == 1 and not rendered[0]["env"] and rendered[0]["cwd"] is None:
        argv: list[str] = rendered[0]["argv"]
        return argv
    encoded = json.dumps(rendered)
    if len(encoded) > MAX_STEPS_ARG:
        raise ctx.error(
            at,
            f"'run.cmd' renders to steps longer than one argument may be ({MAX_STEPS_ARG} chars)",
            f"{len(encoded)} characters",
            "pass large values in a file (e.g. a declaration naming its path)",
        )
    return [*STEP_RUNNER, encoded]


#: A template that is only ``{{ name }}`` (group 1: the name).
SOLE_NAME = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
#: Longest ``--steps-json`` value: Linux refuses a single argument over 128 KiB.
MAX_STEPS_ARG = 120_000
#: The argv prefix that runs several steps (the trial-side, stdlib-only runner).
STEP_RUNNER = ("python", "-m", "jupyter_mlpipe.tracking.steps", "--steps-json")


def render_value(
    value: Any, params: Mapping[str, Any], ctx: Context, at: tuple[int, int] | None, what: str
) -> Any:
    """Render every string inside ``value`` (dicts, lists, tuples); keys stay as written."""
    if isinstance(value, str):
        return render_text(value, params, ctx, at, what)
    if isinstance(value, Mapping):
        return {k: render_value(v, params, ctx, at, what) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_value(v, params, ctx, at, what) for v in value]
    return value


def check_node_templates(node: Node, known: Iterable[str], ctx: Context, what: str) -> None:
    """:func:`check_template` every string in a node tree (``build``, ``environment``)."""
    known = set(known)
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_mapping:
            stack.extend(current.value.values())
        elif current.is_sequence:
            stack.extend(current.value)
        elif isinstance(current.value, str) and is_template(current.value):
            check_template(current.value, known, ctx, current, what)


def check_command(
    cmd: str | Sequence[str], known: Iterable[str], ctx: Context, at: tuple[int, int]
) -> None:
    """Validate ``run.cmd`` at parse time: it reads into steps, and every template in them
    compiles with known names only.

    Raises:
        SpecError: located at the cmd node.
    """
    commands = [cmd] if isinstance(cmd, str) else list(cmd)
    known = set(known)
    for step in _steps(commands, ctx, at):
        for token in (*step.argv, *(value for _, value in step.env), *step.cwd):
            if is_template(token):
                check_template(token, known, ctx, at, "'run.cmd'")


__all__ = [
    "STEP_RUNNER",
    "SpecError",
    "check_command",
    "check_node_templates",
    "render_command",
    "render_text",
    "render_value",
]
