"""``SeldonMicroserviceException``: an error carrying the HTTP status and Seldon's error body.

Unlike Seldon's module of the same name, nothing here imports Flask.
"""

from __future__ import annotations

from typing import Any


class SeldonMicroserviceException(Exception):
    """Raised by model code to answer ``status_code`` with Seldon's ``{"status": ...}`` body.

    Args:
        message: the ``status.info`` text.
        status_code: the HTTP status (default 400).
        payload: kept for compatibility; not sent.
        reason: the ``status.reason`` text (default ``MICROSERVICE_BAD_DATA``).
    """

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None, payload: Any = None,
                 reason: str = "MICROSERVICE_BAD_DATA") -> None:
        Exception.__init__(self)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.payload = payload
        self.reason = reason

    def __str__(self) -> str:
        return str(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The error body the server sends."""
        return {"status": {"status": 1, "info": self.message, "code": -1,
                           "reason": self.reason}}
