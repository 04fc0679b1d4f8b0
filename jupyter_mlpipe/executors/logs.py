"""Following a log file that another process appends to."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path


def follow_file(path: Path, done: Callable[[], bool], interval: float = 0.25) -> Iterator[str]:
    """Yield lines of ``path`` as they are appended, until ``done()`` and nothing is left.

    Only complete lines are yielded while the writer runs; a last line without a newline is
    yielded once the writer is done.
    """
    offset = 0
    pending = b""
    while True:
        finished = done()  # read before the file so the last bytes are never missed
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
        except FileNotFoundError:
            chunk = b""
        offset += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", "replace") + "\n"
        if finished:
            if pending:
                yield pending.decode("utf-8", "replace")
            return
        time.sleep(interval)


#: How the supervisor's line opening each attempt in a log starts (not the trial's output).
ATTEMPT_MARK = "--- attempt "

#: How much of a log's end :func:`last_line` reads, and how long a line it returns.
_TAIL_BYTES, _LINE_CHARS = 8192, 160


def last_line(path: Path) -> str:
    """The last non-blank line of ``path`` (stripped, cut to 160 characters), "" if none.

    A failed trial's last line is usually its error (``ValueError: ...``): the one-line reason
    every front end shows next to "exited with code 1". The supervisor's ``--- attempt N``
    header is not the trial's output and is skipped.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            tail = fh.read()
    except OSError:
        return ""
    for raw in reversed(tail.decode("utf-8", "replace").splitlines()):
        line = raw.strip()
        if line and not line.startswith(ATTEMPT_MARK):  # the supervisor's own header line
            return line if len(line) <= _LINE_CHARS else line[: _LINE_CHARS - 1] + "…"
    return ""
