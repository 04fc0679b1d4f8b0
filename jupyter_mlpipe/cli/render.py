"""Showing results in a terminal: tables, records, YAML, predictions."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO


def to_yaml(documents: Any) -> str:
    """Documents as YAML, each object written out in full (no anchors or aliases)."""
    import yaml

    class _Plain(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    docs = documents if isinstance(documents, list) else [documents]
    return yaml.dump_all(docs, Dumper=_Plain, sort_keys=False, default_flow_style=False)


def render(
    result: Any, out: TextIO = sys.stdout, fmt: str = "table", dry_format: str = "yaml"
) -> None:
    """Print ``result`` the way a terminal user wants to read it."""
    if result is None:
        return
    if isinstance(result, str):
        print(result, file=out)
    elif isinstance(result, Iterator):
        for line in result:
            out.write(line)
            out.flush()
    elif hasattr(result, "to_csv") and hasattr(result, "to_string"):  # a DataFrame
        _frame(result, out, fmt)
    elif _operations(result):
        _operation_lines(result, out, fmt)
    elif isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        if set(result[0]) >= {"name", "value", "source"}:  # settings
            for r in result:
                where = r["source"] if r["env"] in r["source"] else f"{r['source']}; {r['env']}"
                print(f"{r['name']:18} {r['value']}\n{'':18} ({where})", file=out)
        else:
            print(
                json.dumps(result, indent=2, default=str)
                if dry_format == "json"
                else to_yaml(result),
                file=out,
                end="",
            )
    elif isinstance(result, list) and not result:
        print("[]" if fmt == "json" else "nothing to show", file=out)
    elif isinstance(result, dict):
        print(json.dumps(result, indent=2, default=str), file=out)
    elif hasattr(result, "to_dict"):
        _record(result, out)
    else:
        print(result, file=out)


def _frame(frame: Any, out: TextIO, fmt: str) -> None:
    if fmt == "csv":
        out.write(frame.to_csv())
    elif fmt == "json":
        out.write(frame.reset_index().to_json(orient="records", date_format="iso", indent=2) + "\n")
    elif frame.empty:
        print("nothing yet", file=out)
    else:
        import pandas as pd

        with pd.option_context(
            "display.max_columns", 30, "display.width", 200, "display.max_colwidth", 40
        ):
            print(frame.to_string(), file=out)


def _record(record: Any, out: TextIO) -> None:
    data = record.to_dict()
    if "label" in data and "top" in data:  # a prediction
        if data["label"] is None:  # not class probabilities: the values themselves
            payload = data["response"].get("data") or data["response"]
            values = payload.get("ndarray", payload.get("tensor", payload))
            print(f"prediction: {json.dumps(values)}", file=out)
            return
        print(f"prediction: {data['label']}", file=out)
        for name, p in data["top"]:
            print(f"  {name:>6}  {p:.4f}", file=out)
        return
    print(json.dumps(data, indent=2, default=str), file=out)


def _operations(result: Any) -> bool:
    """An operation record (or a list of them): a ``to_dict`` with ``steps`` and ``action``."""
    items = result if isinstance(result, list) else [result]
    return bool(items) and all(
        hasattr(r, "to_dict") and {"steps", "action"} <= set(r.to_dict()) for r in items
    )


def _operation_lines(result: Any, out: TextIO, fmt: str) -> None:
    if fmt == "json":
        data = [r.to_dict() for r in result] if isinstance(result, list) else result.to_dict()
        print(json.dumps(data, indent=2), file=out)
        return
    import datetime as dt

    for record in result if isinstance(result, list) else [result]:
        data = record.to_dict()
        when = dt.datetime.fromtimestamp(data["created"]).strftime("%Y-%m-%d %H:%M:%S")
        print(f"operation {data['id']}  {data['action']}  {data['status']}  {when}", file=out)
        for step in data["steps"]:
            print(f"  {step['name']:8} {step['status']:10} {step['message']}", file=out)
        if data["error"] and data["status"] != "succeeded":
            print(f"  {data['error']['type']}: {data['error']['message']}", file=out)
