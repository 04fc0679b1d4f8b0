"""Tables that fit the terminal, like ``gh`` and ``kubectl``: long cells are cut, and the
columns a person needs least are left out (named on a last line) until the table fits.
``--wide`` keeps every column."""

from __future__ import annotations

import os
import shutil
from typing import Any, TextIO

#: Cells longer than this are cut with "…" (unless --wide).
CELL = 32

#: Columns left out first when a table is too wide, most expendable first.
_EXPENDABLE = (
    "group", "attempt", "started", "finished", "created", "algorithm", "backend", "planned",
    "folder", "image", "detail", "message",
)  # fmt: skip
#: Columns kept while any other can go.
_KEEP = ("status", "health", "name")


def terminal_width(out: TextIO) -> int | None:
    """The width to fit: ``$COLUMNS`` when set, the terminal's when ``out`` is one, else None
    (a pipe or a file gets every column: scripts should use ``--format csv|json``)."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        return shutil.get_terminal_size().columns
    return None


def _drop_order(columns: list[str]) -> list[str]:
    """Which columns to leave out, in order: known expendable ones, ``x.min``/``x.max``,
    then from the right — never the ones in :data:`_KEEP`."""
    first = [c for c in _EXPENDABLE if c in columns]
    summaries = [c for c in reversed(columns) if c.endswith((".min", ".max"))]
    rest = [c for c in reversed(columns) if c not in first and c not in summaries]
    return [c for c in (*first, *summaries, *rest) if c not in _KEEP]


def _text(frame: Any, cell: int | None) -> str:
    return str(frame.to_string(max_colwidth=cell))


def frame_text(frame: Any, out: TextIO, wide: bool = False) -> str:
    """``frame`` as text for ``out``: every column with ``wide``, else fitted to the terminal.

    Returns:
        The table, plus a last line naming the columns left out and how to see them.
    """
    width = None if wide else terminal_width(out)
    if width is None:
        return _text(frame, None)
    text = _text(frame, CELL)
    dropped: list[str] = []
    order = _drop_order([str(c) for c in frame.columns])
    while max(map(len, text.splitlines())) > width and order and len(frame.columns) > 1:
        column = order.pop(0)
        dropped.append(column)
        frame = frame.drop(columns=[column])
        text = _text(frame, CELL)
    if not dropped:
        return text
    note = f"({len(dropped)} more columns, --wide shows them: {', '.join(dropped)})"
    if len(note) > width:
        note = note[: max(width - 2, 0)] + "…)"
    return f"{text}\n{note}"
