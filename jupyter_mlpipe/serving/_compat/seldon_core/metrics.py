"""Custom metric helpers and ``SeldonResponse`` (re-exported, as Seldon's examples import it).

A metric is ``{"key": str, "type": "COUNTER" | "GAUGE" | "TIMER", "value": number}`` with
optional ``"tags"``. The local server returns them in the reply's ``meta.metrics``; it keeps no
Prometheus registry.
"""

from __future__ import annotations

from typing import Any

from seldon_core.user_model import SeldonResponse

COUNTER = "COUNTER"
GAUGE = "GAUGE"
TIMER = "TIMER"

__all__ = ["COUNTER", "GAUGE", "TIMER", "SeldonResponse", "create_counter", "create_gauge",
           "create_timer", "split_image_tag", "validate_metrics"]


def create_counter(key: str, value: float) -> dict[str, Any]:
    """A COUNTER metric."""
    return {"key": key, "type": COUNTER, "value": value}


def create_gauge(key: str, value: float) -> dict[str, Any]:
    """A GAUGE metric."""
    return {"key": key, "type": GAUGE, "value": value}


def create_timer(key: str, value: float) -> dict[str, Any]:
    """A TIMER metric (milliseconds)."""
    return {"key": key, "type": TIMER, "value": value}


def validate_metrics(metrics: Any) -> bool:
    """Whether ``metrics`` is a list of well-formed metrics."""
    if not isinstance(metrics, list):
        return False
    for metric in metrics:
        if not isinstance(metric, dict) or not {"key", "type", "value"} <= set(metric):
            return False
        if metric["type"] not in (COUNTER, GAUGE, TIMER):
            return False
        try:
            metric["value"] + 1
        except TypeError:
            return False
    return True


def split_image_tag(tag: str) -> tuple[str, str]:
    """``("repo/name", "version")`` of an image reference ``repo/name:version``."""
    *name, version = tag.split(":")
    return ":".join(name), version
