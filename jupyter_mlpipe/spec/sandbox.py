"""A Jinja2 sandbox whose templates cannot exhaust CPU or memory.

Jinja's own sandbox stops attribute escapes, not resource use: ``{{ 7**9999999 }}``,
``'x'|center(1000000000)``, ``'a'*100000000`` or ``([1]*10000)*10000`` each take minutes or
gigabytes. :class:`BoundedEnvironment` refuses those *before* computing them, by raising
:class:`TooLarge` (a ``SecurityError``, which the renderer turns into a located
:class:`~jupyter_mlpipe.errors.SpecError`):

- ``*``, ``+``, ``%``, ``~`` and ``**`` are intercepted: a result larger than
  :data:`MAX_SIZE` (characters or items, nested contents counted) or an integer power of more
  than :data:`MAX_DIGITS` digits is refused;
- every filter and every call (``'x'.center(n)``, ``'{:9999999}'.format(x)``) is checked the
  same way: integer arguments are at most :data:`MAX_SIZE`, the input times the longest text
  argument is at most :data:`MAX_SIZE`, and format strings hold no width of 7 digits or more;
- rendered output is capped at :data:`MAX_SIZE` characters;
- loops, macros and call blocks are refused at compile time (:func:`refuse_loops`), so the
  work a template does is bounded by its length; ``lipsum`` is removed.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

#: Largest string or collection (characters or items, nested contents counted) a template may
#: build, and the longest rendered text.
MAX_SIZE = 1_000_000
#: Most decimal digits of an integer power.
MAX_DIGITS = 4_000
_WIDE_FORMAT = re.compile(r"\d{7,}")
_PADDING = ("center", "ljust", "rjust", "zfill", "indent", "wordwrap", "expandtabs")
_RESTRICTED = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock)


class TooLarge(SecurityError):
    """A template operation whose result would exceed the bounds."""


def size(value: Any, limit: int = MAX_SIZE) -> int:
    """Characters or items in ``value``, nested contents counted, stopping past ``limit``."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, Mapping):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        total = len(value)
        for item in value:
            if total > limit:
                break
            if isinstance(item, (str, bytes, list, tuple, set, frozenset, Mapping)):
                total += size(item, limit - total)
        return total
    return 1


def _check_call(name: str, args: Iterable[Any]) -> None:
    """The call/filter rule of the module docstring (a width counts as a multiplier for the
    padding functions)."""
    values = [a for a in args if not _is_jinja_object(a)]
    widest = 1
    base = 0
    pads = any(word in name for word in _PADDING)
    for arg in values:
        if isinstance(arg, int) and not isinstance(arg, bool):
            if abs(arg) > MAX_SIZE:
                raise TooLarge(f"{name}: the number {arg} is larger than {MAX_SIZE}")
            if pads:
                widest = max(widest, arg)
        if isinstance(arg, str):
            if _WIDE_FORMAT.search(arg) and ("%" in arg or "{" in arg):
                raise TooLarge(f"{name}: a format width of 7 digits or more")
            widest = max(widest, len(arg))
        base = max(base, size(arg))
    if base * widest > MAX_SIZE:
        raise TooLarge(f"{name}: the result could exceed {MAX_SIZE} characters or items")


def _is_jinja_object(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("jinja2.") and not isinstance(value, (str, list, dict))


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_call(f"the filter {name!r}", [*args, *kwargs.values()])
        return func(*args, **kwargs)

    return checked


class _BoundedCodeGenerator(CodeGenerator):
    """Routes ``~`` through :meth:`BoundedEnvironment.bounded_concat`."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox of the module docstring (strict undefined names are set by the caller)."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            count = right if isinstance(right, int) else left if isinstance(left, int) else 1
            other = left if count is right else right
            if not isinstance(other, (int, float)) and size(other) * max(count, 0) > MAX_SIZE:
                raise TooLarge(f"'*' would build more than {MAX_SIZE} characters or items")
        elif operator == "+":
            if size(left) + size(right) > MAX_SIZE:
                raise TooLarge(f"'+' would build more than {MAX_SIZE} characters or items")
        elif operator == "%" and isinstance(left, str):
            _check_call("'%'", [left, right])
        return super().call_binop(context, operator, left, right)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # `'...'.format` reaches here wrapped by the sandbox; the string is the wrapped's self.
        owner = getattr(__obj, "__self__", None)
        if owner is None:
            owner = getattr(getattr(__obj, "__wrapped__", None), "__self__", None)
        name = getattr(__obj, "__name__", "a call")
        _check_call(f"{name}()", [owner, *args, *kwargs.values()])
        return super().call(__context, __obj, *args, **kwargs)

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        """``a ~ b``: string concatenation, refused past :data:`MAX_SIZE`."""
        if sum(size(str(p) if not isinstance(p, str) else p) for p in parts) > MAX_SIZE:
            raise TooLarge(f"'~' would build more than {MAX_SIZE} characters")
        return "".join(str(p) for p in parts)


def _check_power(left: Any, right: Any) -> None:
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (left, right))
    if ints and right > 0 and abs(left) > 1:
        if right * math.log10(abs(left)) > MAX_DIGITS:
            raise TooLarge(f"'**' would give an integer of more than {MAX_DIGITS} digits")


def refuse_loops(ast: nodes.Template) -> None:
    """Raise :class:`TooLarge` for loops, macros and call/filter blocks (unbounded work)."""
    for node in ast.find_all(_RESTRICTED):
        kind = type(node).__name__.lower()
        raise TooLarge(f"{kind} blocks are not allowed in spec templates")


def render_bounded(template: Any, params: Mapping[str, Any]) -> str:
    """Render ``template``, refusing output past :data:`MAX_SIZE` characters."""
    out: list[str] = []
    total = 0
    for chunk in template.generate(dict(params)):
        total += len(chunk)
        if total > MAX_SIZE:
            raise TooLarge(f"the rendered text exceeds {MAX_SIZE} characters")
        out.append(chunk)
    return "".join(out)
