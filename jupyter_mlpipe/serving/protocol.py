"""uvicorn's httptools protocol with JSON error answers and request read deadlines.

uvicorn answers a request it cannot parse itself, in plain text; this protocol keeps those
answers JSON. uvicorn also has no read timeout: a client that opens a connection and sends
nothing, or dribbles its headers or body a byte at a time, holds a connection (and a file
descriptor) for ever. Here every connection must deliver a request's headers within
``header_timeout`` seconds of connecting (or of the request's first byte on a kept-alive
connection), and its body within ``body_timeout`` seconds of the headers; otherwise it is
answered 408 (headers) or closed (body); headers over ``MAX_HEADER_BYTES`` are answered 431.
Idle kept-alive connections are uvicorn's business (``timeout_keep_alive``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import jsoncodec
from .seldon_protocol import error_body

MAX_HEADER_BYTES = 64 * 1024
_STATUS_TEXT = {400: b"Bad Request", 408: b"Request Timeout",
                431: b"Request Header Fields Too Large"}


def http_protocol(header_timeout: float = 10.0, body_timeout: float = 30.0) -> Any:
    """The protocol class for ``uvicorn.Config(http=...)`` (uvicorn's name if it cannot be made).

    Args:
        header_timeout: seconds to receive a request's headers.
        body_timeout: seconds to receive a request's body once its headers are in.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return "httptools"
    needed = ("send_400_response", "on_message_begin", "on_headers_complete",
              "on_message_complete", "connection_made", "connection_lost")
    if not all(hasattr(HttpToolsProtocol, name) for name in needed):
        return "httptools"

    class DeadlineProtocol(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None
        _in_headers = True
        _header_bytes = 0

        def _answer(self, status: int, info: str) -> None:
            body = jsoncodec.dumps(error_body(info))
            content = [b"HTTP/1.1 %d %s\r\n" % (status, _STATUS_TEXT[status])]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([b"content-type: application/json\r\n",
                            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                            b"connection: close\r\n\r\n", body])
            self.transport.write(b"".join(content))
            self.transport.close()

        def send_400_response(self, msg: str) -> None:
            self._answer(400, f"malformed HTTP request: {msg}")

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if self._in_headers:
                self._answer(408, f"the request headers did not arrive within "
                                  f"{header_timeout:g}s — send the whole request at once")
            else:  # the app waits for the body: closing makes it see a disconnect
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self._in_headers:
                self._header_bytes += len(data)
            super().data_received(data)
            if (self._in_headers and self._header_bytes > MAX_HEADER_BYTES
                    and not self.transport.is_closing()):
                self._answer(431, f"the request headers are over {MAX_HEADER_BYTES} bytes")

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm(header_timeout)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_headers = True
            if self._deadline is None:
                self._arm(header_timeout)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._in_headers = False
            self._header_bytes = 0
            self._arm(body_timeout)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return DeadlineProtocol
