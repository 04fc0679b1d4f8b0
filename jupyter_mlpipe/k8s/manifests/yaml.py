"""YAML output for ``--dry-run -o yaml``: several objects as one multi-document stream."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def dump_documents(objects: Iterable[Mapping[str, Any]]) -> str:
    """Objects as ``---``-separated YAML documents, keys in the order they were rendered."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None  # scripts stay readable
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump_all([dict(o) for o in objects], Dumper=_Dumper, sort_keys=False,
                         default_flow_style=False, explicit_start=True)
