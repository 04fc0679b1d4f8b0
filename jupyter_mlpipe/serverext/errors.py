"""The one place where domain errors become HTTP answers.

Handlers never choose a status code for an :class:`~jupyter_mlpipe.errors.MlpipeError` themselves:
they let it propagate and :func:`http_error` maps it. The body is always
``{"error": {"type": <class name>, "message": <the error's message>}}``.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    BuilderNotFound,
    ConfigError,
    InvalidArgument,
    InvalidName,
    KubernetesError,
    MlpipeError,
    NotFound,
    PredictError,
    SpecError,
)

# Most specific class first: the first isinstance match wins.
_STATUS: tuple[tuple[type[MlpipeError], int], ...] = (
    (NotFound, 404),
    (SpecError, 400),
    (InvalidName, 400),
    (InvalidArgument, 400),
    (ConfigError, 400),
    (BuilderNotFound, 501),
    (PredictError, 502),
    (KubernetesError, 502),
    (MlpipeError, 500),
)


class BadRequest(Exception):
    """A request the server cannot act on: malformed JSON, a missing field, a bad query value.

    Raised by the handlers' own parsing (the domain layer raises ``MlpipeError`` subclasses).

    Args:
        message: what was wrong, the value, and what to send instead.
    """


def http_error(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """Map an exception to ``(status, body)``.

    Args:
        exc: what a handler raised.

    Returns:
        The HTTP status and the JSON body. ``MlpipeError`` subclasses keep their message;
        :class:`BadRequest` is a 400; anything else is a 500 whose message hides internals
        (the server log has the traceback).
    """
    if isinstance(exc, BadRequest):
        return 400, _body("BadRequest", str(exc))
    if isinstance(exc, MlpipeError):
        for cls, status in _STATUS:
            if isinstance(exc, cls):
                return status, _body(type(exc).__name__, str(exc))
    return 500, _body(
        "InternalError", f"unexpected {type(exc).__name__} — see the Jupyter server log for details"
    )


def _body(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}
