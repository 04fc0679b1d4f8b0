"""File primitives for the outputs volume: atomic writes, append-only JSON lines.

Every record is written either atomically (a temporary sibling, flushed, then ``os.replace``) or
appended by its single writer in whole lines. Readers never see a half-written record file, and
a JSON-lines reader stops before a torn last line so it can pick it up on the next read.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import StoreError


def atomic_write_bytes(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON."""
    atomic_write_bytes(
        path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode()
    )


def read_json(path: Path) -> Any:
    """Read a JSON record written by :func:`atomic_write_json`.

    Raises:
        FileNotFoundError: the record does not exist.
        StoreError: the file is not valid JSON (it was not written by us, or was edited).
    """
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{path} is not valid JSON ({exc}) — it was edited or damaged by hand"
        ) from exc


def append_jsonl(path: Path, obj: Any) -> None:
    """Append one JSON line with a single ``write`` on an O_APPEND descriptor.

    Only one process writes a given file (see DESIGN.md §3), so a line is never interleaved;
    a crash can leave at most a torn last line, which readers skip until it is complete.
    """
    line = (json.dumps(obj, separators=(",", ":"), default=str) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def tail_lines(path: Path, lines: int, max_bytes: int) -> list[str]:
    """The last ``lines`` lines of ``path``, reading at most ``max_bytes`` from its end.

    The file is read backwards in blocks, so the cost is bounded by ``max_bytes`` however
    large the file or long its lines: a 50 MB log of one line yields its last ``max_bytes``
    bytes. When the bound stops the read, the first line returned may be the end of a longer
    one. Lines keep no newline; invalid UTF-8 is replaced. A missing file has no lines.
    """
    if lines < 1 or max_bytes < 1:
        return []
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return []
    with fh:
        end = pos = os.fstat(fh.fileno()).st_size
        chunks: list[bytes] = []
        newlines = 0
        while pos > 0 and end - pos < max_bytes and newlines <= lines:
            step = min(64 << 10, pos, max_bytes - (end - pos))
            pos -= step
            fh.seek(pos)
            chunk = fh.read(step)
            chunks.append(chunk)
            newlines += chunk.count(b"\n")
    data = b"".join(reversed(chunks))
    if data.endswith(b"\n"):
        data = data[:-1]
    parts = data.split(b"\n")
    if pos > 0 and len(parts) > lines:
        parts = parts[1:]  # the first part may be the end of an earlier, cut line
    return [p.decode("utf-8", "replace") for p in parts[-lines:]] if data or pos else []
