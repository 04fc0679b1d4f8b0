"""How a verb's result is shown in a notebook: objects stay objects, text is printed.

DataFrames, sweep handles, records and predictions are returned as they are (their own
``_repr_html_`` renders them). Sentences are printed rather than returned (no quoted string in
the output), log lines are streamed, settings become a DataFrame and rendered documents (dry
runs) a list that displays as YAML.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any


class Documents(list[Any]):
    """Rendered documents (manifests, dry-run plans): a list that displays as YAML."""

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump_all(list(self), sort_keys=False, default_flow_style=False)

    def __repr__(self) -> str:
        return self.to_yaml()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.to_yaml())}</pre>"


def present(result: Any) -> Any:
    """Turn a verb's result into what the cell should return (printing sentences and logs)."""
    if result is None:
        return None
    if isinstance(result, str):
        print(result)
        return None
    if isinstance(result, Iterator):
        for line in result:
            print(line, end="" if line.endswith("\n") else "\n", flush=True)
        return None
    if isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        if set(result[0]) >= {"name", "value", "source"}:  # settings
            import pandas as pd

            return pd.DataFrame(result).set_index("name")
        return Documents(result)
    return result
