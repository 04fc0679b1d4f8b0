"""The one place where domain errors become HTTP answers.

Handlers never choose a status code for an :class:`~jupyter_mlpipe.errors.MlpipeError` themselves:
they let it propagate and :func:`http_error` maps it through the one table of the package,
:data:`jupyter_mlpipe.errors.ERROR_TABLE`. The body is always
``{"error": {"type": <class name>, "message": <the error's message>}}``.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument, MlpipeError


class BadRequest(InvalidArgument):
    """A request the server cannot act on: malformed JSON, a missing field, a bad query value.

    Raised by the handlers' own parsing; a usage mistake like any ``InvalidArgument`` (400).

    Args:
        message: what was wrong, the value, and what to send instead.
    """


def http_error(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """Map an exception to ``(status, body)``.

    Args:
        exc: what a handler raised.

    Returns:
        The HTTP status and the JSON body. ``MlpipeError`` subclasses (``BadRequest`` too)
        keep their message and take the status of their row in the table; anything else is a
        500 whose message hides internals (the server log has the traceback).
    """
    if isinstance(exc, MlpipeError):
        return exc.http_status, _body(type(exc).__name__, str(exc))
    return 500, _body(
        "InternalError", f"unexpected {type(exc).__name__} — see the Jupyter server log for details"
    )


def _body(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}
