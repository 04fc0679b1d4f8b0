"""Names that become folders, Kubernetes objects or URL parts.

Every user-supplied name passes :func:`validate_name` (a DNS-1123 label, as Kubernetes requires
for the objects it may become) and every path built from names passes :func:`safe_join`, so no
name can escape the folder it is meant to live in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import InvalidName

# Patterns are applied with ``fullmatch``: ``$`` would also match before a final newline.
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_ID = re.compile(r"[0-9]{1,15}")
MAX_LABEL = 63


def is_id(text: str) -> bool:
    """Whether ``text`` is a stored id's folder or file name part: ASCII digits only (``"²"``
    and Arabic-Indic digits pass ``str.isdigit`` but are not ids), at most 15 of them."""
    return _ID.fullmatch(text) is not None


def validate_name(name: object, what: str = "name") -> str:
    """Return ``name`` if it is a DNS-1123 label, else raise.

    Args:
        name: the candidate (anything; non-strings are rejected).
        what: what the name is for, used in the message ("deployment", "project" ...).

    Raises:
        InvalidName: with the rule, the value and a suggestion.
    """
    if not isinstance(name, str) or not name:
        raise InvalidName(f"{what} name must be a non-empty string, got {name!r}")
    if len(name) > MAX_LABEL:
        raise InvalidName(
            f"{what} name must be at most {MAX_LABEL} characters, got {len(name)} ({name!r})"
            " — use a shorter name"
        )
    if not _LABEL.fullmatch(name):
        suggestion = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:MAX_LABEL] or "model"
        raise InvalidName(
            f"{what} name must be lowercase letters, digits and '-', starting and ending with a"
            f" letter or digit (a DNS-1123 label), got {name!r} — try {suggestion!r}"
        )
    return name


def safe_join(root: Path | str, *parts: str | int) -> Path:
    """Join ``parts`` under ``root`` and make sure the result stays inside ``root``.

    Raises:
        InvalidName: a part is absolute, holds a separator or '..', or the joined path
            resolves (through links) outside ``root``.
    """
    base = Path(root).resolve()
    for part in parts:
        text = str(part)
        if (
            not text
            or text in {".", ".."}
            or os.sep in text
            or (os.altsep and os.altsep in text)
            or "\x00" in text
        ):
            raise InvalidName(f"path part {text!r} is not a plain name — it would leave {base}")
    joined = base.joinpath(*map(str, parts))
    resolved = joined.resolve()
    if resolved != base and base not in resolved.parents:
        raise InvalidName(f"{joined} resolves to {resolved}, outside {base}")
    return joined
