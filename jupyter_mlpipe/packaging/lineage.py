"""Read and extend a package's ``lineage.json`` (atomic rewrites, one writer at a time)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import NotFound
from ..store.files import atomic_write_json, read_json

LINEAGE = "lineage.json"


def read_lineage(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The lineage record of the package in ``folder``.

    Raises:
        NotFound: the folder has no ``lineage.json`` (it was not written by ``mlpipe package``).
    """
    path = Path(folder) / LINEAGE
    try:
        data = read_json(path)
    except FileNotFoundError as exc:
        raise NotFound(
            f"{path} does not exist — {folder} is not a package; create it with mlpipe package"
        ) from exc
    return dict(data)


def update_lineage(folder: str | os.PathLike[str], **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the lineage record and rewrite it atomically; return the result."""
    record = read_lineage(folder)
    record.update(fields)
    atomic_write_json(Path(folder) / LINEAGE, record)
    os.chmod(Path(folder) / LINEAGE, 0o644)  # readable like the rest of the package
    return record
