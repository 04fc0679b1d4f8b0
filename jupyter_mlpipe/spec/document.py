"""YAML documents with positions: every value remembers where it was written.

PyYAML's composer gives a node tree with marks; :func:`compose` turns it into :class:`Node`
objects (mappings keep the position of each key too) so every later rule can raise a
:class:`~jupyter_mlpipe.errors.SpecError` pointing at ``file:line:col`` (1-based).

Guards that keep hostile input cheap: anchors/aliases may be reused but not nested inside
themselves, a document holds at most :data:`MAX_NODES` nodes after alias expansion, and
mapping keys must be unique.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
import yaml.constructor
import yaml.nodes

from ..errors import SpecError

#: Upper bound on the number of values in one spec after alias expansion ("billion laughs").
MAX_NODES = 20_000
#: Upper bound on the size of the spec text, in characters.
MAX_TEXT = 1_000_000


@dataclass(frozen=True)
class Node:
    """One YAML value with its position.

    Attributes:
        value: a ``dict[str, Node]`` for mappings, a ``list[Node]`` for sequences, or the scalar
            as PyYAML resolves it (int, float, bool, str, None, date ...).
        line: 1-based line of the value's first character.
        col: 1-based column of the value's first character.
        raw: for scalars, the text as written (``"1:30"`` stays ``"1:30"`` although YAML 1.1
            reads it as the base-60 integer 90); ``None`` for collections.
        keys: for mappings, the position (line, col) of each key.
        style: for scalars, PyYAML's style: None (plain), ``'``, ``"``, ``|`` or ``>``.
        source: for scalars written over several lines, the exact source text of the value.
    """

    value: Any
    line: int
    col: int
    raw: str | None = None
    keys: dict[str, tuple[int, int]] | None = None
    style: str | None = None
    source: str | None = None

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict) and self.keys is not None

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not (self.is_mapping or self.is_sequence)

    def plain(self) -> Any:
        """The value with positions stripped: dicts, lists and scalars."""
        if self.is_mapping:
            return {key: child.plain() for key, child in self.value.items()}
        if self.is_sequence:
            return [child.plain() for child in self.value]
        return self.value

    def items(self) -> Iterator[tuple[str, Node]]:
        """Key/child pairs of a mapping, in the order written."""
        return iter(self.value.items())

    def key_position(self, key: str) -> tuple[int, int]:
        """Where ``key`` itself was written in this mapping."""
        assert self.keys is not None
        return self.keys[key]


class Context:
    """Raises :class:`SpecError` located in one file.

    Args:
        file: the spec's path or label, used as the ``file`` part of every error.
    """

    def __init__(self, file: str) -> None:
        self.file = file

    def error(
        self, at: Node | tuple[int, int] | None, rule: str, value: Any = None, fix: str = ""
    ) -> SpecError:
        """Build (not raise) an error at a node, a ``(line, col)`` pair, or nowhere."""
        if isinstance(at, Node):
            line, col = at.line, at.col
        elif at is None:
            return SpecError(rule, value, fix, file=self.file)
        else:
            line, col = at
        return SpecError(rule, value, fix, file=self.file, line=line, col=col)

    def mapping(self, node: Node, what: str) -> Node:
        """Return ``node`` if it is a mapping, else raise naming ``what`` it should be."""
        if not node.is_mapping:
            raise self.error(
                node,
                f"{what} must be a mapping of keys to values",
                show(node),
                "write `key: value` lines indented under it",
            )
        return node

    def check_keys(self, node: Node, allowed: Iterable[str], where: str) -> None:
        """Refuse keys of mapping ``node`` that are not in ``allowed``, suggesting a close one."""
        known = list(allowed)
        for key in node.value:
            if key not in known:
                raise self.error(
                    node.key_position(key),
                    f"unknown key in {where}",
                    repr(key),
                    suggest(key, known),
                )

    def require(self, node: Node, key: str, where: str, fix: str) -> Node:
        """Return child ``key`` of mapping ``node`` or raise that it is missing."""
        if key not in node.value:
            raise self.error(node, f"{where} needs '{key}'", None, fix)
        child: Node = node.value[key]
        return child


def suggest(word: str, known: Iterable[str]) -> str:
    """A fix for an unknown name: "did you mean 'linspace'?" or the list of known names."""
    choices = sorted(known)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not choices:
        return "remove it"
    return "expected one of " + ", ".join(repr(c) for c in choices)


def show(node: Node) -> str:
    """A short text for a node's value, for error messages."""
    text = repr(node.plain()) if not node.is_scalar else _scalar_text(node)
    return text if len(text) <= 80 else text[:77] + "..."


def _scalar_text(node: Node) -> str:
    if node.raw is not None and isinstance(node.value, str):
        return repr(node.value)
    return node.raw if node.raw is not None else repr(node.value)


def compose(text: str, ctx: Context) -> Node:
    """Parse one YAML document into positioned nodes.

    Args:
        text: the YAML text.
        ctx: where errors are located.

    Returns:
        The root node (a mapping, for any valid spec; other shapes are returned for the caller
        to reject with a precise message).

    Raises:
        SpecError: for YAML syntax errors (with the parser's position), several documents,
            an empty document, duplicate keys, recursive aliases or a document too large.
    """
    if len(text) > MAX_TEXT:
        raise ctx.error(
            None,
            f"a spec must be at most {MAX_TEXT} characters",
            f"{len(text)} characters",
            "split the file or trim it",
        )
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else None
        raise ctx.error(
            where,
            "the file is not valid YAML",
            exc.problem or exc.context,
            "fix the YAML syntax at this position",
        ) from None
    except yaml.YAMLError as exc:
        raise ctx.error(
            None, "the file is not valid YAML", str(exc), "fix the YAML syntax"
        ) from None
    except (RecursionError, MemoryError):
        raise ctx.error(
            None, "the file is nested too deeply to read", None, "flatten the YAML structure"
        ) from None
    if root is None:
        raise ctx.error(
            (1, 1), "the file is empty", None, "start with `version: 1` and `kind: group`"
        )
    return _Builder(ctx, text).build(root)


class _Builder:
    """Converts PyYAML nodes to :class:`Node`, with the guards described in the module."""

    def __init__(self, ctx: Context, text: str) -> None:
        self.ctx = ctx
        self.text = text
        self.count = 0
        self.active: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.nodes.Node) -> Node:
        self.count += 1
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if self.count > MAX_NODES:
            raise self.ctx.error(
                (line, col),
                f"a spec may hold at most {MAX_NODES} values",
                None,
                "remove repeated aliases or large lists",
            )
        if id(node) in self.active:
            raise self.ctx.error(
                (line, col),
                "an alias may not refer to a value that contains it",
                None,
                "remove the recursive anchor",
            )
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.nodes.MappingNode):
                return self._mapping(node, line, col)
            if isinstance(node, yaml.nodes.SequenceNode):
                return Node([self.build(child) for child in node.value], line, col)
            return self._scalar(node, line, col)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.nodes.Node, line: int, col: int) -> Node:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
            fix = f"quote it to keep it as text ({exc.__class__.__name__})"
            raise self.ctx.error(
                (line, col), "this value cannot be read", node.value, fix
            ) from None
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = str(node.value)  # dates and binary stay text, so params remain JSON
        source = None
        if node.end_mark is not None and node.end_mark.line != node.start_mark.line:
            source = self.text[node.start_mark.index : node.end_mark.index]
        style = getattr(node, "style", None)
        return Node(value, line, col, raw=str(node.value), style=style, source=source)

    def _mapping(self, node: yaml.nodes.MappingNode, line: int, col: int) -> Node:
        seen: dict[str, tuple[int, int]] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key_pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            key = self._key(key_node, key_pos)
            if key in seen:
                raise self.ctx.error(
                    key_pos,
                    f"key {key!r} appears twice in one mapping",
                    None,
                    f"keep one of them (the first is on line {seen[key][0]})",
                )
            seen[key] = key_pos
        try:
            self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except (yaml.YAMLError, RecursionError) as exc:
            raise self.ctx.error(
                (line, col), "a merge key (<<) is malformed", str(exc)[:80], "merge only mappings"
            ) from None
        values: dict[str, Node] = {}
        keys: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key_pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            key = self._key(key_node, key_pos)
            # Keys merged in with `<<` come first; a key written here overrides them.
            keys[key] = key_pos
            values[key] = self.build(value_node)
        return Node(values, line, col, keys=keys)

    def _key(self, key_node: yaml.nodes.Node, pos: tuple[int, int]) -> str:
        self.count += 1
        if not isinstance(key_node, yaml.nodes.ScalarNode):
            raise self.ctx.error(
                pos, "mapping keys must be plain names", None, "use a word as the key"
            )
        # Keys are names: keep them as written (`1:30` or `yes` as a key is the text).
        return str(key_node.value)
