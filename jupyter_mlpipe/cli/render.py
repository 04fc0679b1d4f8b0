"""Showing results in a terminal: tables that fit, records as sentences, JSON, YAML."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from .tables import frame_text


def to_yaml(documents: Any) -> str:
    """Documents as YAML, each object written out in full (no anchors or aliases)."""
    import yaml

    class _Plain(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    docs = documents if isinstance(documents, list) else [documents]
    return yaml.dump_all(docs, Dumper=_Plain, sort_keys=False, default_flow_style=False)


def as_data(result: Any) -> Any:
    """What ``--format json`` prints for a verb's result: plain JSON values.

    Records give their ``to_dict()``, DataFrames a list of rows (index included, times in ISO
    8601), sentences ``{"message": ...}``; non-finite numbers become null (JSON has no NaN).
    """
    if hasattr(result, "to_csv") and hasattr(result, "reset_index"):  # a DataFrame
        text = result.reset_index().to_json(orient="records", date_format="iso")
        return json.loads(text)
    if hasattr(result, "to_dict"):
        return _finite(result.to_dict())
    if isinstance(result, str):
        return {"message": str(result)}
    if isinstance(result, (list, tuple)):
        return [as_data(item) for item in result]
    return _finite(result)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def print_json(result: Any, out: TextIO = sys.stdout) -> None:
    """Print ``result`` as indented JSON (see :func:`as_data`)."""
    print(json.dumps(as_data(result), indent=2, default=str, allow_nan=False), file=out)


def render(
    result: Any,
    out: TextIO = sys.stdout,
    fmt: str = "table",
    dry_format: str = "yaml",
    wide: bool = False,
) -> None:
    """Print ``result`` the way a terminal user wants to read it.

    Args:
        fmt: ``table`` (for people), ``csv`` or ``json`` (for scripts).
        dry_format: how a rendering (``--dry-run``: manifests, documents) is printed.
        wide: tables keep every column even when wider than the terminal.
    """
    if result is None:
        return
    if isinstance(result, Iterator):
        for line in result:
            out.write(line)
            out.flush()
    elif isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        _dicts(result, out, fmt, dry_format)
    elif fmt == "json":
        print_json(result, out)
    elif isinstance(result, str):
        print(result, file=out)
    elif hasattr(result, "to_csv") and hasattr(result, "to_string"):  # a DataFrame
        _frame(result, out, fmt, wide)
    elif isinstance(result, list) and not result:
        print("nothing to show", file=out)
    elif isinstance(result, list) and all(hasattr(r, "to_text") for r in result):
        print("\n\n".join(r.to_text() for r in result), file=out)
    elif hasattr(result, "to_text"):
        print(result.to_text(), file=out)
    elif isinstance(result, dict):
        print(json.dumps(result, indent=2, default=str), file=out)
    elif hasattr(result, "to_dict"):
        print_json(result, out)
    else:
        print(result, file=out)


def _dicts(result: list[dict[str, Any]], out: TextIO, fmt: str, dry_format: str) -> None:
    if fmt == "json":
        print_json(result, out)
    elif set(result[0]) >= {"name", "value", "source"}:  # settings
        for r in result:
            where = r["source"] if r["env"] in r["source"] else f"{r['source']}; {r['env']}"
            print(f"{r['name']:18} {r['value']}\n{'':18} ({where})", file=out)
    elif dry_format == "json":
        print(json.dumps(result, indent=2, default=str), file=out)
    else:
        print(to_yaml(result), file=out, end="")


def _frame(frame: Any, out: TextIO, fmt: str, wide: bool) -> None:
    if fmt == "csv":
        out.write(frame.to_csv())
    elif frame.empty:
        print("nothing yet", file=out)
    else:
        print(frame_text(frame, out, wide), file=out)
