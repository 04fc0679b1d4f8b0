"""The loaded user object behind a uniform interface, with Seldon's optional-method rules.

Every hook but ``predict`` is optional. A hook that raises an exception named
``SeldonNotImplementedError`` (Seldon's ``SeldonComponent`` base raises it for unimplemented
hooks) counts as absent. ``predict(X, names, meta=...)`` is retried as ``predict(X, names)`` on a
``TypeError``, as Seldon does, so two-argument models keep working. The low-level hooks Seldon
Core 1.17.1 still dispatches take precedence as there: ``predict_rest(message)`` answers
predictions, ``send_feedback_rest(json_text)`` feedback, ``health_status_raw()`` health.

Custom metrics go into replies unless ``INCLUDE_METRICS_IN_CLIENT_RESPONSE`` is set to anything
but ``true`` (Seldon's switch).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import PredictError
from .metadata import model_metadata
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
        name: the model's name (V2 paths).
        request_path: ``meta.requestPath`` for replies (``{unit id: image}``; empty: none).
        image: the image reference (default ``name``/``versions`` of ``/metadata``).
        environ: where ``MODEL_METADATA`` and ``INCLUDE_METRICS_IN_CLIENT_RESPONSE`` are read
            (default: the process environment).

    Attributes:
        metadata: what ``/metadata`` serves; None when it is invalid (``/metadata`` answers 500).
    """

    def __init__(self, obj: Any, name: str, request_path: dict[str, str] | None = None, *,
                 image: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.obj = obj
        self.name = name
        self.request_path = dict(request_path or {})
        self.has_predict = callable(getattr(obj, "predict", None))
        self.has_raw = callable(getattr(obj, "predict_raw", None))
        # Seldon dispatches these on hasattr(), before anything else.
        self.has_predict_rest = hasattr(obj, "predict_rest")
        self.has_feedback_rest = hasattr(obj, "send_feedback_rest")
        self.metrics_in_reply = env.get("INCLUDE_METRICS_IN_CLIENT_RESPONSE",
                                        "true").lower() == "true"
        self._class_names = getattr(obj, "class_names", None)
        self.metadata = model_metadata(self._user_metadata(), env, image)

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

    def predict_rest(self, message: Any) -> Any:
        """Seldon's deprecated ``predict_rest(message)``: its answer is the reply, as is."""
        return self.obj.predict_rest(message)

    def send_feedback_rest(self, text: str) -> Any:
        """Seldon's deprecated ``send_feedback_rest(json_text)``: its answer is the reply."""
        return self.obj.send_feedback_rest(text)

    def health_raw(self) -> Any:
        """``health_status_raw()``; :data:`NOT_IMPLEMENTED` when absent or not implemented."""
        try:
            return self._hook("health_status_raw")
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
        """``health_status()``'s answer; Seldon's texts when the model has none."""
        if not callable(getattr(self.obj, "health_status", None)):
            return "healthy"
        try:
            return self._hook("health_status")
        except _Absent:
            return "not implemented - assuming healthy"

    def send_feedback(self, features: Any, names: list[Any], reward: Any, truth: Any,
                      routing: Any) -> Any:
        """Call ``send_feedback``; ``[]`` when absent or when it returns None."""
        try:
            result = self._hook("send_feedback", features, names, reward, truth, routing=routing)
        except _Absent:
            return []
        return [] if result is None else result

    def _user_metadata(self) -> Any:
        try:
            return self._hook("init_metadata")
        except _Absent:
            return {}
        except Exception as exc:  # metadata is advisory: a failure must not stop serving
            log.error("init_metadata() failed: %r — serving default metadata", exc)
            return {}


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
