"""Minimal ASGI plumbing: read a bounded request body, send a complete response.

No framework: a model server needs a dozen fixed routes, and every layer between the socket and
the model costs CPU per request (see ``bench/serving.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"


class BodyTooLarge(Exception):
    """The request body exceeds the server's limit."""


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


@dataclass(frozen=True)
class Request:
    """What a handler sees of an HTTP request."""

    method: str
    path: str
    query: bytes
    content_type: str
    body: bytes
    #: the body already decoded (by the helper process) as JSON, if it was
    decoded: Any = field(default=None, compare=False)

    def query_value(self, key: str) -> str | None:
        """The first value of query parameter ``key``, or None."""
        if not self.query:
            return None
        values = parse_qs(self.query.decode("latin-1")).get(key)
        return values[0] if values else None


@dataclass(frozen=True)
class Response:
    """A complete response: status, body bytes, content type and extra headers."""

    status: int
    body: bytes
    content_type: bytes = JSON
    headers: tuple[tuple[bytes, bytes], ...] = field(default=())


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower-case) in an ASGI scope, or None."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def declared_length(scope: Scope) -> int | None:
    """The Content-Length the client declared (None when absent or garbled)."""
    raw = header(scope, b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


async def read_body(receive: Receive, limit: int) -> bytes:
    """Read the whole request body, refusing to buffer more than ``limit`` bytes.

    Raises:
        BodyTooLarge: more than ``limit`` bytes arrived.
        ClientGone: the client disconnected first.
    """
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    body = message.get("body", b"")
    if not message.get("more_body"):  # the common case: one chunk
        if len(body) > limit:
            raise BodyTooLarge
        return bytes(body)
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def send_response(send: Send, response: Response) -> None:
    """Send ``response`` as one start message and one body message."""
    headers = [
        (b"content-type", response.content_type),
        (b"content-length", str(len(response.body)).encode("ascii")),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
