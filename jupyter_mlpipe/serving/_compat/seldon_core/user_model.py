"""``SeldonComponent`` (the optional-hook base class) and ``SeldonResponse``.

Every hook of :class:`SeldonComponent` raises :class:`SeldonNotImplementedError`, which the
server treats as "the model does not implement this hook" (``load`` does nothing).
"""

from __future__ import annotations

from typing import Any

from seldon_core.flask_utils import SeldonMicroserviceException


class SeldonNotImplementedError(SeldonMicroserviceException):
    """A hook the model does not implement."""

    status_code = 400

    def __init__(self, message: str) -> None:
        SeldonMicroserviceException.__init__(self, message)


class SeldonResponse:
    """A hook's result with runtime ``tags`` (a dict) and ``metrics`` (a list of metrics)."""

    def __init__(self, data: Any, tags: dict[str, Any] | None = None,
                 metrics: list[dict[str, Any]] | None = None) -> None:
        self.data = data
        self.tags = tags if tags is not None else {}
        self.metrics = metrics if metrics is not None else []

    @classmethod
    def create(cls, data: Any) -> SeldonResponse:
        """``data`` itself when it is a SeldonResponse, else ``data`` wrapped in one."""
        return data if isinstance(data, cls) else cls(data=data)


def _not_implemented(name: str) -> Any:
    def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise SeldonNotImplementedError(f"{name} is not implemented")

    hook.__name__ = name
    hook.__doc__ = f"Not implemented: override ``{name}`` to provide it."
    return hook


class SeldonComponent:
    """Base class of Seldon model classes; subclasses override the hooks they provide."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def load(self) -> None:
        """Called once before the first request (load checkpoints here)."""

    tags = _not_implemented("tags")
    class_names = _not_implemented("class_names")
    predict = _not_implemented("predict")
    predict_raw = _not_implemented("predict_raw")
    send_feedback_raw = _not_implemented("send_feedback_raw")
    transform_input = _not_implemented("transform_input")
    transform_input_raw = _not_implemented("transform_input_raw")
    transform_output = _not_implemented("transform_output")
    transform_output_raw = _not_implemented("transform_output_raw")
    metrics = _not_implemented("metrics")
    feature_names = _not_implemented("feature_names")
    send_feedback = _not_implemented("send_feedback")
    route = _not_implemented("route")
    route_raw = _not_implemented("route_raw")
    aggregate = _not_implemented("aggregate")
    aggregate_raw = _not_implemented("aggregate_raw")
    health_status = _not_implemented("health_status")
    health_status_raw = _not_implemented("health_status_raw")
    metadata = _not_implemented("metadata")
    init_metadata = _not_implemented("init_metadata")
