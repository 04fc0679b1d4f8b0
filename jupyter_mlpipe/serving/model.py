"""The loaded user object behind a uniform interface, with Seldon's optional-method rules.

Every hook but ``predict`` is optional. A hook that raises an exception named
``SeldonNotImplementedError`` (Seldon's ``SeldonComponent`` base raises it for unimplemented
hooks) counts as absent. ``predict(X, names, meta=...)`` is retried as ``predict(X, names)`` on a
``TypeError``, as Seldon does, so two-argument models keep working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..errors import PredictError
from .seldon_protocol import error_body, model_error

log = logging.getLogger("jupyter_mlpipe.serving")

_METRIC_TYPES = {"COUNTER", "GAUGE", "TIMER"}


#: What :meth:`ServedModel.predict_raw` returns when the model has no usable ``predict_raw``.
NOT_IMPLEMENTED = object()


class _Absent(Exception):
    """Internal: the hook is not implemented."""


def _not_implemented(exc: BaseException) -> bool:
    return type(exc).__name__ == "SeldonNotImplementedError"


def as_predict_error(exc: BaseException) -> PredictError:
    """Turn an exception raised by model code into the error the client sees.

    A Seldon-style exception carrying ``status_code`` and ``to_dict()`` keeps its status and
    body; anything else is a 500 ``MICROSERVICE_INTERNAL_ERROR`` whose ``info`` is the
    exception's message (never a traceback: that goes to the server log).
    """
    if isinstance(exc, PredictError):
        return exc
    status = getattr(exc, "status_code", None)
    to_dict = getattr(exc, "to_dict", None)
    if isinstance(status, int) and 400 <= status <= 599 and callable(to_dict):
        try:
            body = to_dict()
            return PredictError(str(getattr(exc, "message", exc)), status=status, body=body)
        except Exception:  # a broken custom exception: fall through to the generic 500
            pass
    info = str(exc) or type(exc).__name__
    return PredictError(info, status=500, body=error_body(info, "MICROSERVICE_INTERNAL_ERROR"))


class ServedModel:
    """A user model plus the facts the server needs about it.

    Args:
        obj: the user's model instance (already loaded).
        name: the model's name (V2 paths, metadata).
        request_path: ``meta.requestPath`` for replies (``{name: image or folder}``).
    """

    def __init__(self, obj: Any, name: str, request_path: dict[str, str] | None = None) -> None:
        self.obj = obj
        self.name = name
        self.request_path = dict(request_path or {})
        self.has_predict = callable(getattr(obj, "predict", None))
        self.has_raw = callable(getattr(obj, "predict_raw", None))
        self._class_names = getattr(obj, "class_names", None)
        self.metadata = self._init_metadata()

    def _hook(self, name: str, *args: Any, **kwargs: Any) -> Any:
        fn = getattr(self.obj, name, None)
        if not callable(fn):
            raise _Absent(name)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _not_implemented(exc):
                raise _Absent(name) from None
            raise

    def predict(self, features: Any, names: list[Any], meta: dict[str, Any] | None) -> Any:
        """Call the model's ``predict``; ``[]`` when it has none (as Seldon answers)."""
        try:
            try:
                return self._hook("predict", features, names, meta=meta)
            except TypeError:
                return self._hook("predict", features, names)
        except _Absent:
            return []

    def predict_raw(self, message: Any) -> Any:
        """Call ``predict_raw``; :data:`NOT_IMPLEMENTED` when it is absent or not implemented."""
        try:
            return self._hook("predict_raw", message)
        except _Absent:
            return NOT_IMPLEMENTED

    def class_names_fn(self) -> Callable[[], Any] | None:
        """A callable giving the model's class names, or None (names default to ``t:i``)."""
        names = self._class_names
        if names is None:
            return None
        if not callable(names):
            return lambda: names  # an attribute, as older Seldon models declare it

        def call() -> Any:
            try:
                return self._hook("class_names")
            except _Absent:
                return None

        return call

    def tags(self) -> dict[str, Any]:
        """The model's ``tags()`` (``{}`` when absent); a non-dict is a model error."""
        try:
            tags = self._hook("tags")
        except _Absent:
            return {}
        if not isinstance(tags, dict):
            raise model_error(f"tags() must return a dict, got {type(tags).__name__}")
        return tags

    def metrics(self) -> list[dict[str, Any]]:
        """The model's ``metrics()`` validated as Seldon does (``[]`` when absent)."""
        try:
            metrics = self._hook("metrics")
        except _Absent:
            return []
        check_metrics(metrics)
        return list(metrics)

    def health(self) -> Any:
        """``health_status()``'s answer, ``"healthy"`` when the model has none."""
        try:
            return self._hook("health_status")
        except _Absent:
            return "healthy"

    def send_feedback(self, features: Any, names: list[Any], reward: Any, truth: Any,
                      routing: Any) -> Any:
        """Call ``send_feedback``; ``[]`` when absent or when it returns None."""
        try:
            result = self._hook("send_feedback", features, names, reward, truth, routing=routing)
        except _Absent:
            return []
        return [] if result is None else result

    def _init_metadata(self) -> dict[str, Any]:
        meta: Any = {}
        try:
            meta = self._hook("init_metadata")
        except _Absent:
            pass
        except Exception as exc:  # metadata is advisory: a failure must not stop serving
            log.error("init_metadata() failed: %r — serving default metadata", exc)
        if not isinstance(meta, dict):
            log.error("init_metadata() must return a dict, got %s", type(meta).__name__)
            meta = {}
        base = {"name": self.name, "versions": [""], "platform": "", "inputs": [],
                "outputs": [], "custom": {}}
        return {**base, **meta}


def check_metrics(metrics: Any) -> None:
    """Seldon's rule for custom metrics: a list of ``{"key", "type", "value"}``.

    Raises:
        PredictError: 500 ``MICROSERVICE_BAD_METRIC`` naming the bad entry.
    """
    ok = isinstance(metrics, list) and all(
        isinstance(m, dict) and isinstance(m.get("key"), str) and m.get("type") in _METRIC_TYPES
        and isinstance(m.get("value"), (int, float)) and not isinstance(m.get("value"), bool)
        for m in metrics
    )
    if not ok:
        raise model_error(f"Bad metric created during request: {metrics!r}",
                          reason="MICROSERVICE_BAD_METRIC")
