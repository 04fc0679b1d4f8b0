"""Readers for scalar YAML values (integers, numbers, names, booleans, choices, literals).

Each reader returns the value or raises a located :class:`~jupyter_mlpipe.errors.SpecError`
naming the setting, the value as written and a fix.
"""

from __future__ import annotations

import ast
from typing import Any

from .document import Context, Node, show, suggest

#: Longest text accepted for one literal in the string form.
MAX_LITERAL = 100


def read_literal(text: str) -> Any:
    text = text.strip()
    if not text or len(text) > MAX_LITERAL:
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def integer(
    node: Node, what: str, ctx: Context, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """A YAML integer within bounds (booleans are not integers)."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(node, f"{what} must be an integer", show(node), "write a whole number")
    if minimum is not None and value < minimum:
        raise ctx.error(node, f"{what} must be at least {minimum}", value, f"use {minimum} or more")
    if maximum is not None and value > maximum:
        raise ctx.error(node, f"{what} must be at most {maximum}", value, f"use {maximum} or less")
    return value


def number(node: Node, what: str, ctx: Context) -> float:
    """A finite YAML int or float."""
    value = node.value
    if isinstance(value, str):
        value = read_literal(value)  # "1e-3" is a string for YAML 1.1; read it as Python does
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value != value
        or abs(value) == float("inf")
    ):
        raise ctx.error(node, f"{what} must be a number", show(node), "write an int or a float")
    return value


def text(node: Node, what: str, ctx: Context) -> str:
    """A non-empty YAML string."""
    if not isinstance(node.value, str) or not node.value.strip():
        raise ctx.error(node, f"{what} must be a non-empty string", show(node), "write a name")
    return node.value


def boolean(node: Node, what: str, ctx: Context) -> bool:
    """A YAML boolean."""
    if not isinstance(node.value, bool):
        raise ctx.error(node, f"{what} must be true or false", show(node), "write true or false")
    return node.value


def choice(node: Node, choices: tuple[str, ...], what: str, ctx: Context) -> str:
    """One of ``choices``, suggesting the closest on a typo."""
    if not isinstance(node.value, str) or node.value not in choices:
        raise ctx.error(
            node,
            f"{what} must be one of {', '.join(choices)}",
            show(node),
            suggest(str(node.value), choices),
        )
    return node.value


def any_case(node: Node, choices: tuple[str, ...], what: str, ctx: Context) -> str:
    """One of lower-case ``choices`` written in any case (``MAXIMIZE``, ``Int``), as Polyaxon
    accepted them."""
    if isinstance(node.value, str):
        node = Node(node.value.lower(), node.line, node.col, raw=node.raw)
    return choice(node, choices, what, ctx)
