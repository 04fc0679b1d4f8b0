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
