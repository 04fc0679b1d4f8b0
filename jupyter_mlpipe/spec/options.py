"""Reading one matrix param: its option, the three written forms, and the argument rules.

Forms (for every option but ``values`` and ``pvalues``):

- string ``"a:b[:c[:d]]"``: positional arguments, each part a Python literal read with
  :func:`ast.literal_eval` (``0.001:0.1:5``, ``-9.2:-2.3``, ``1e-3:1e-1:3``). A plain YAML
  scalar such as ``1:30`` is taken as written, not as YAML 1.1's base-60 integer 90;
- list ``[a, b, c]``: positional arguments;
- dict ``{start: a, stop: b, num: c}``: named arguments (names per option below).

``values`` takes a list (or ``"a:b:c"``, each part a literal or a bare word); ``pvalues`` takes
``[[value, p], ...]`` or ``{value: p}``.

The semantics of each option are documented in :mod:`jupyter_mlpipe.spec.matrix`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

from .document import Context, Node, show, suggest
from .matrix import MAX_EXP, OPTIONS, MatrixParam, enumerate_points, key
from .scalars import read_literal
from .templating import SOLE_NAME

#: Named arguments of each option, in positional order; names after ``;`` are optional.
SIGNATURES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "range": (("start", "stop", "step"), {"step": 1}),
    "linspace": (("start", "stop", "num"), {}),
    "logspace": (("start", "stop", "num", "base"), {"base": 10}),
    "geomspace": (("start", "stop", "num"), {}),
    "uniform": (("low", "high"), {}),
    "quniform": (("low", "high", "q"), {}),
    "loguniform": (("low", "high"), {}),
    "qloguniform": (("low", "high", "q"), {}),
    "normal": (("loc", "scale"), {}),
    "qnormal": (("loc", "scale", "q"), {}),
    "lognormal": (("loc", "scale"), {}),
    "qlognormal": (("loc", "scale", "q"), {}),
}
#: Most points one param may enumerate, and most values a list may hold.
MAX_POINTS = 100_000
#: Bound on numbers so that arithmetic on them stays finite.
MAX_MAGNITUDE = 1e300
#: Most multiples of ``q`` a quantised option may span (a float holds ~15 digits).
MAX_STEPS = 1e15


def parse_param(
    name: str, node: Node, ctx: Context, context: Mapping[str, Any] | None = None
) -> MatrixParam:
    """Read matrix param ``name`` from its node (a one-key mapping ``{option: arguments}``).

    ``values``/``pvalues`` may be written ``"{{ name }}"`` naming an entry of ``context``
    (a declaration or an input's default, as Polyaxon 0.5 allowed).

    Raises:
        SpecError: unknown option (with a suggestion), several options, a malformed form, or
            an argument rule broken (named in the message).
    """
    where = f"matrix param '{name}'"
    if not node.is_mapping or not node.value:
        raise ctx.error(
            node,
            f"{where} needs exactly one option such as `linspace: 0.001:0.1:5`",
            show(node),
            "write `name: {option: arguments}`",
        )
    options = list(node.value)
    for option in options:
        if option not in OPTIONS:
            raise ctx.error(
                node.key_position(option),
                f"unknown matrix option for '{name}'",
                repr(option),
                suggest(option, OPTIONS),
            )
    if len(options) > 1:
        raise ctx.error(
            node.key_position(options[1]),
            f"{where} has more than one option",
            ", ".join(options),
            "keep exactly one option per param",
        )
    option = options[0]
    arg_node: Node = _resolved(node.value[option], context or {})
    if option == "values":
        args = _values(arg_node, where, ctx)
    elif option == "pvalues":
        args = _pvalues(arg_node, where, ctx)
    else:
        args = _named_args(option, arg_node, where, ctx)
        _check_rules(option, args, arg_node, where, ctx)
    return MatrixParam(name, option, args, line=node.line, col=node.col)


def _resolved(node: Node, context: Mapping[str, Any]) -> Node:
    """``"{{ name }}"`` replaced by ``context[name]`` when that is a list or mapping."""
    match = SOLE_NAME.fullmatch(node.value) if isinstance(node.value, str) else None
    value = context.get(match.group(1)) if match else None
    if not isinstance(value, (list, dict)):
        return node
    return _as_node(value, node)


def _as_node(value: Any, at: Node) -> Node:
    if isinstance(value, list):
        return Node([_as_node(v, at) for v in value], at.line, at.col)
    if isinstance(value, dict):
        return Node({str(k): _as_node(v, at) for k, v in value.items()}, at.line, at.col)
    return Node(value, at.line, at.col, raw=value if isinstance(value, str) else repr(value))


def _values(node: Node, where: str, ctx: Context) -> dict[str, Any]:
    if node.is_sequence:
        values = node.plain()
    elif node.is_scalar and isinstance(node.raw, str) and ":" in node.raw:
        values = [_literal_or_word(part) for part in node.raw.split(":")]
    else:
        raise ctx.error(
            node, f"'values' of {where} must be a list", show(node), "write `values: [a, b, c]`"
        )
    if not values:
        raise ctx.error(
            node, f"'values' of {where} must not be empty", show(node), "list at least one value"
        )
    return {"values": values}


def _pvalues(node: Node, where: str, ctx: Context) -> dict[str, Any]:
    pairs: list[tuple[Any, Node]] = []
    if node.is_mapping:
        pairs = [(_literal_or_word(k), child) for k, child in node.items()]
    elif node.is_sequence:
        for item in node.value:
            if not item.is_sequence or len(item.value) != 2:
                raise ctx.error(
                    item,
                    f"'pvalues' of {where} takes [value, probability] pairs",
                    show(item),
                    "write `pvalues: [[a, 0.7], [b, 0.3]]`",
                )
            pairs.append((item.value[0].plain(), item.value[1]))
    if not pairs:
        raise ctx.error(
            node,
            f"'pvalues' of {where} needs [value, probability] pairs",
            show(node),
            "write `pvalues: [[a, 0.7], [b, 0.3]]`",
        )
    values, probs, seen = [], [], set()
    for value, p_node in pairs:
        p = _number(_scalar_of(p_node), p_node, f"a probability of {where}", ctx)
        if not 0 < p <= 1:
            raise ctx.error(
                p_node,
                f"probabilities of {where} must be in (0, 1]",
                p,
                "use a probability between 0 and 1",
            )
        if key(value) in seen:
            raise ctx.error(
                p_node,
                f"'pvalues' of {where} lists a value twice",
                repr(value),
                "merge the two entries and add their probabilities",
            )
        seen.add(key(value))
        values.append(value)
        probs.append(float(p))
    total = math.fsum(probs)
    if total > 1.0 + 1e-6:
        raise ctx.error(
            node,
            f"probabilities of {where} must sum to at most 1",
            f"a sum of {total:g}",
            "scale them so they add up to 1",
        )
    written = 1.0 if abs(total - 1.0) <= 1e-6 else total  # below 1: normalised, with a warning
    return {"values": values, "p": [p / total for p in probs], "sum": written}


def _named_args(option: str, node: Node, where: str, ctx: Context) -> dict[str, Any]:
    names, defaults = SIGNATURES[option]
    required = [n for n in names if n not in defaults]
    usage = f"write `{option}: {':'.join(names[: len(required)])}`"
    if node.is_mapping:
        ctx.check_keys(node, names, f"'{option}' of {where}")
        given = {k: (child, _scalar_of(child)) for k, child in node.items()}
    else:
        parts = _positional(node, option, where, usage, ctx)
        if not len(required) <= len(parts) <= len(names):
            raise ctx.error(
                node, f"'{option}' of {where} takes {_arity(names, required)}", show(node), usage
            )
        given = {n: (node, p) for n, p in zip(names, parts, strict=False)}
    args: dict[str, Any] = {}
    for name in names:
        if name not in given:
            if name in defaults:
                args[name] = defaults[name]
                continue
            raise ctx.error(node, f"'{option}' of {where} needs '{name}'", show(node), usage)
        at, raw = given[name]
        args[name] = _number(raw, at, f"'{name}' of '{option}' in {where}", ctx)
    return args


def _positional(node: Node, option: str, where: str, usage: str, ctx: Context) -> list[Any]:
    if node.is_sequence:
        return [_scalar_of(child) for child in node.value]
    if node.is_scalar and node.raw is not None and ":" in node.raw:
        return node.raw.split(":")
    raise ctx.error(
        node, f"'{option}' of {where} takes 'a:b[:c]', a list or a mapping", show(node), usage
    )


def _scalar_of(node: Node) -> Any:
    # Strings are re-read as literals below, so "1e-3" (a string for YAML 1.1) is a number.
    if node.is_scalar and isinstance(node.value, (int, float)) and node.raw is not None:
        return node.value if ":" not in node.raw else node.raw
    return node.value if node.is_scalar else node.plain()


def _arity(names: tuple[str, ...], required: list[str]) -> str:
    if len(names) == len(required):
        return f"{len(names)} arguments ({', '.join(names)})"
    return f"{len(required)} to {len(names)} arguments ({', '.join(names)})"


def _number(raw: Any, at: Node, what: str, ctx: Context) -> int | float:
    value = read_literal(raw) if isinstance(raw, str) else raw
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error(
            at,
            f"{what} must be a number",
            _shown(raw),
            "write an int or a float such as 0.01 or 1e-3",
        )
    if abs(value) > MAX_MAGNITUDE or (isinstance(value, float) and not math.isfinite(value)):
        raise ctx.error(
            at, f"{what} must be a finite number below 1e300", _shown(raw), "use a smaller number"
        )
    if isinstance(value, int) and abs(value) > 2**53:
        value = float(value)
    return value


def _shown(raw: Any) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _literal_or_word(text: str) -> Any:
    value = read_literal(text)
    return value if value != "" else text


def _check_rules(option: str, args: dict[str, Any], node: Node, where: str, ctx: Context) -> None:
    """Argument rules of range-like options and distributions (see the module docstring)."""
    written = ":".join(f"{v:g}" if isinstance(v, float) else str(v) for v in args.values())

    def fail(rule: str, fix: str) -> NoReturn:
        raise ctx.error(node, f"'{option}' of {where} needs {rule}", written, fix)

    lo_name, hi_name = ("start", "stop") if "start" in args else ("low", "high")
    if lo_name in args and not args[lo_name] < args[hi_name]:
        fail(f"{lo_name} < {hi_name}", "swap the bounds")
    if lo_name in args and not math.isfinite(args[hi_name] - args[lo_name]):
        fail(f"a finite {hi_name} - {lo_name}", "use smaller bounds")
    for name in ("step", "scale", "q"):
        if name in args and not args[name] > 0:
            fail(f"{name} > 0", f"use a positive {name}")
    if "num" in args and (not isinstance(args["num"], int) or not 1 <= args["num"] <= MAX_POINTS):
        fail(f"num to be an integer from 1 to {MAX_POINTS}", "use a whole number of points")
    if option == "range" and (args["stop"] - args["start"]) / args["step"] > MAX_POINTS:
        fail(f"at most {MAX_POINTS} points", "use a larger step or a distribution")
    if option == "logspace":
        base = args["base"]
        if not base > 0 or base == 1:
            fail("base > 0 and base != 1", "use a base such as 10 or 2")
        if max(abs(args["start"]), abs(args["stop"])) * abs(math.log(base)) > 700:
            fail(
                "base**start and base**stop to fit a float",
                "the bounds are exponents; use smaller exponents",
            )
    if option == "geomspace" and not (args["start"] * args["stop"] > 0):
        fail("non-zero start and stop of the same sign", "use positive bounds such as 1:1000")
    if option in ("loguniform", "qloguniform") and args["high"] > 700:
        fail(
            "high <= 700 (the bounds are natural-log exponents)",
            f"did you mean {option}: {_log_hint(args['low'], args['high'])}?",
        )
    if option in ("lognormal", "qlognormal") and args["loc"] > 700:
        fail("loc <= 700 (the value is exp(normal(loc, scale)))", "use log(value) as loc")
    if "q" in args and _largest(option, args) / args["q"] > MAX_STEPS:
        fail(
            f"at most {MAX_STEPS:.0e} multiples of q in its range",
            "use a larger q (or the unquantised option)",
        )
    if option in ("range", "linspace", "logspace", "geomspace"):
        enumerate_points(option, args)  # cheap after the bounds above; surfaces numpy issues


def _largest(option: str, args: dict[str, Any]) -> float:
    """A bound on the magnitude of the values a quantised option draws (10 sd for normals)."""
    if "low" in args:
        top = max(abs(args["low"]), abs(args["high"]))
    else:
        top = abs(args["loc"]) + 10 * args["scale"]
    return math.exp(min(top, MAX_EXP)) if "log" in option else top


def _log_hint(low: float, high: float) -> str:
    if low > 0 and high > 0:
        return f"{math.log(low):.4g}:{math.log(high):.4g}"
    return "log(low):log(high)"
