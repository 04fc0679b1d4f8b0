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
