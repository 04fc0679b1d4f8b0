"""Early stopping: stop scheduling new experiments once a metric crosses its threshold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..spec import EarlyStopping
from ._base import usable


def early_stop_reached(
    policies: Iterable[EarlyStopping], values: Mapping[str, float]
) -> EarlyStopping | None:
    """The first policy that ``values`` (metric name to latest value) satisfies, or None.

    A policy is reached when its metric is present and at or beyond its value: ``>=`` for
    ``maximize``, ``<=`` for ``minimize``. Missing metrics and non-finite values never count.
    """
    for policy in policies:
        value = values.get(policy.metric)
        if usable(value) and policy.reached(float(value)):  # type: ignore[arg-type]
            return policy
    return None
