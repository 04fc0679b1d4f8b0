"""Polyaxon v0.4/0.5 top-level keys that describe a run: metadata, ``inputs`` and ``outputs``.

- ``name``, ``description``, ``framework``, ``backend`` (strings) and ``tags`` (a list of
  strings) label the run: :func:`parse_metadata` returns them for the group's record.
  ``framework`` without a distributed ``environment`` only labels the run, as in Polyaxon.
- ``inputs`` / ``outputs`` (0.5): lists of ``{name, description, type, default, is_optional,
  is_list, is_flag, options}``. As in Polyaxon, once a file declares them every param must be
  one of them; a required input needs a value in ``params``/``declarations``, an optional one
  takes its ``default``; a value must fit the ``type`` (``int``, ``float``, ``bool``, ``str``,
  ``dict``, ``list``; other types are kept as written) and ``options``; an ``is_flag`` input
  (a ``bool``) becomes ``--name`` when true and disappears from the command when false.
  Values referring to other runs (``{{ jobs.1.outputs.x }}``) cannot be resolved here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .document import Context, Node, show
from .scalars import boolean, text

METADATA_KEYS = ("name", "description", "framework", "backend", "tags")
IO_KEYS = ("name", "description", "type", "default", "is_optional", "is_list", "is_flag", "options")
_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
    "dict": (dict,),
    "list": (list,),
}


@dataclass(frozen=True)
class IO:
    """One declared input or output (Polyaxon 0.5's ``IOConfig``)."""

    name: str
    type: str | None = None
    default: Any = None
    is_optional: bool = False
    is_list: bool = False
    is_flag: bool = False
    options: tuple[Any, ...] | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "is_optional": self.is_optional,
            "is_list": self.is_list,
            "is_flag": self.is_flag,
            "options": list(self.options) if self.options is not None else None,
            "description": self.description,
        }


def parse_metadata(sections: Mapping[str, Node], ctx: Context) -> dict[str, Any]:
    """The labels among ``sections`` (only those written), checked for type."""
    out: dict[str, Any] = {}
    for key in METADATA_KEYS:
        node = sections.get(key)
        if node is None or node.value is None:
            continue
        if key != "tags":
            out[key] = text(node, f"'{key}'", ctx)
            continue
        items = node.value if node.is_sequence else [node]
        for item in items:
            if not isinstance(item.value, str) or not item.value.strip():
                raise ctx.error(
                    item, "'tags' must be a list of names", show(item), "write `tags: [foo, bar]`"
                )
        out["tags"] = [item.value for item in items]
    return out


def parse_io(node: Node, what: str, ctx: Context) -> tuple[IO, ...]:
    """Read ``inputs`` or ``outputs``."""
    fix = f"write `{what}: [{{name: lr, type: float, default: 0.1, is_optional: true}}]`"
    if node.value is None:
        return ()
    if not node.is_sequence:
        raise ctx.error(node, f"'{what}' must be a list", show(node), fix)
    out: list[IO] = []
    for item in node.value:
        ctx.mapping(item, f"an entry of '{what}'")
        ctx.check_keys(item, IO_KEYS, f"an entry of '{what}'")
        name = text(ctx.require(item, "name", f"an entry of '{what}'", fix), "'name'", ctx)
        flags = {
            key: boolean(item.value[key], f"'{key}'", ctx)
            for key in ("is_optional", "is_list", "is_flag")
            if key in item.value and item.value[key].value is not None
        }
        kind = None
        if "type" in item.value and item.value["type"].value is not None:
            kind = text(item.value["type"], "'type'", ctx).lower()
        options = None
        if "options" in item.value and item.value["options"].value is not None:
            options = tuple(ctx_list(item.value["options"], "'options'", ctx))
        io = IO(
            name,
            kind,
            item.value["default"].plain() if "default" in item.value else None,
            options=options,
            is_optional=flags.get("is_optional", False),
            is_list=flags.get("is_list", False),
            is_flag=flags.get("is_flag", False),
        )
        _check_io(io, item, ctx)
        out.append(io)
    return tuple(out)


def ctx_list(node: Node, what: str, ctx: Context) -> list[Any]:
    if not node.is_sequence:
        raise ctx.error(node, f"{what} must be a list", show(node), "write `[a, b]`")
    plain: list[Any] = node.plain()
    return plain


def _check_io(io: IO, node: Node, ctx: Context) -> None:
    if io.is_flag and io.type != "bool":
        raise ctx.error(
            node,
            f"input '{io.name}' is a flag, so its type must be bool",
            io.type,
            "write `type: bool`",
        )
    if io.default is not None and not io.is_optional:
        raise ctx.error(
            node,
            f"input '{io.name}' has a default, so it must be optional",
            io.default,
            "add `is_optional: true` or remove the default",
        )
    if io.default is not None:
        check_value(io, io.default, node, ctx)


def check_value(io: IO, value: Any, at: Node | tuple[int, int], ctx: Context) -> None:
    """Refuse a value that does not fit the input's type or options."""
    if isinstance(value, str) and "{{" in value:
        raise ctx.error(
            at,
            f"'{io.name}' refers to another run, which cannot be resolved here",
            value,
            "pass the value itself (e.g. the path) as the param",
        )
    allowed = _TYPES.get(io.type or "")
    # A list for a scalar type is read as a list of such values (Polyaxon's own fixtures give
    # a `str` input a list default that a matrix `values` then names).
    values = value if isinstance(value, list) and io.type not in ("list", "dict") else [value]
    for one in values:
        wrong = allowed is not None and (
            not isinstance(one, allowed) or io.type in ("int", "float") and isinstance(one, bool)
        )
        if wrong:
            raise ctx.error(
                at, f"'{io.name}' must be of type {io.type}", repr(one), f"give a {io.type} value"
            )
        if io.options is not None and one not in io.options:
            raise ctx.error(
                at,
                f"'{io.name}' must be one of its options",
                repr(one),
                f"use one of {list(io.options)}",
            )


def apply_io(
    declarations: dict[str, Any],
    inputs: tuple[IO, ...],
    outputs: tuple[IO, ...],
    matrix: Mapping[str, Any],
    sections: Mapping[str, Node],
    ctx: Context,
) -> tuple[dict[str, Any], frozenset[str]]:
    """Check params against declared inputs/outputs and fill defaults (see the module doc).

    Returns:
        The declarations with defaults and flags applied, and the names of flag inputs.
    """
    if not inputs and not outputs:
        return declarations, frozenset()
    declared = {io.name: io for io in (*inputs, *outputs)}
    where = sections.get("params") or sections.get("declarations")
    out = dict(declarations)
    for name in out:
        if name not in declared:
            at = where.key_position(name) if where is not None and name in where.value else None
            raise ctx.error(
                at,
                f"param '{name}' is not declared in 'inputs' or 'outputs'",
                name,
                f"add `- {{name: {name}}}` to 'inputs' or remove the param",
            )
    for io in inputs:
        at = _position(io.name, sections)
        if io.name in out:
            check_value(io, out[io.name], at or sections["inputs"], ctx)
        elif io.name in matrix:
            continue
        elif io.is_optional:
            out[io.name] = io.default
        else:
            raise ctx.error(
                sections["inputs"],
                f"input '{io.name}' is required",
                None,
                f"give it a value under 'params', e.g. `{io.name}: ...`",
            )
        if io.is_flag and io.name in out:
            out[io.name] = f"--{io.name}" if out[io.name] else ""
    return out, frozenset(io.name for io in inputs if io.is_flag)


def _position(name: str, sections: Mapping[str, Node]) -> tuple[int, int] | None:
    for key in ("params", "declarations"):
        node = sections.get(key)
        if node is not None and node.is_mapping and name in node.value:
            return node.key_position(name)
    return None
