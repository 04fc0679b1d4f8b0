"""Translate a polyaxonfile's ``environment`` section into pod-spec fields.

Polyaxon v0.x wrote resources per kind (``cpu``, ``memory`` in MB, ``gpu``) with ``requests`` and
``limits``; Kubernetes-style ``requests``/``limits`` mappings are accepted as written too. Node
selectors, tolerations and affinity pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import SpecError

_KINDS = {"cpu": "cpu", "memory": "memory", "gpu": "nvidia.com/gpu"}


def _quantity(kind: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(f"environment.resources.{kind} needs a number or a quantity string",
                        value, "write e.g. 512 (MB) or '512Mi'")
    if kind == "memory" and isinstance(value, (int, float)):
        return f"{int(value)}Mi"  # Polyaxon v0.x gave memory in megabytes
    return str(value)


def container_resources(environment: Mapping[str, Any] | None) -> dict[str, Any]:
    """``resources`` of the trial container (``{}`` when the spec sets none).

    Raises:
        SpecError: a resource kind or value this renderer does not understand.
    """
    raw = (environment or {}).get("resources") or {}
    if not isinstance(raw, Mapping):
        raise SpecError("environment.resources must be a mapping", raw,
                        "write cpu/memory/gpu with requests and limits")
    if set(raw) <= {"requests", "limits"}:
        return {k: {str(n): str(q) for n, q in dict(v or {}).items()} for k, v in raw.items() if v}
    out: dict[str, dict[str, str]] = {}
    for kind, bounds in raw.items():
        if kind not in _KINDS:
            raise SpecError(f"environment.resources.{kind} is not a known resource", kind,
                            "use cpu, memory or gpu")
        if not isinstance(bounds, Mapping):
            bounds = {"requests": bounds, "limits": bounds}
        for side in ("requests", "limits"):
            if bounds.get(side) is not None:
                out.setdefault(side, {})[_KINDS[kind]] = _quantity(kind, bounds[side])
    gpu = _KINDS["gpu"]
    if gpu in out.get("requests", {}) and gpu not in out.get("limits", {}):
        out.setdefault("limits", {})[gpu] = out["requests"][gpu]  # GPUs need limits == requests
    return out


def scheduling(environment: Mapping[str, Any] | None) -> dict[str, Any]:
    """Pod-spec scheduling fields: ``nodeSelector``, ``tolerations``, ``affinity``."""
    env = environment or {}
    out: dict[str, Any] = {}
    selector = env.get("node_selector") or env.get("nodeSelector")
    if selector:
        out["nodeSelector"] = {str(k): str(v) for k, v in dict(selector).items()}
    if env.get("tolerations"):
        out["tolerations"] = [dict(t) for t in env["tolerations"]]
    if env.get("affinity"):
        out["affinity"] = dict(env["affinity"])
    return out
