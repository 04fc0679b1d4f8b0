"""Drive an ASGI app in-process: one HTTP exchange, no sockets."""

from __future__ import annotations

import asyncio
from typing import Any


def call(app: Any, method: str, path: str, body: bytes = b"", *,
         content_type: str | None = "application/json", query: bytes = b"",
         chunks: int = 1, headers: list[tuple[bytes, bytes]] | None = None
         ) -> tuple[int, dict[bytes, bytes], bytes]:
    """Run one HTTP exchange through an ASGI app; return status, headers, body."""
    sent: list[dict[str, Any]] = []
    pieces = [body[i::chunks] for i in range(chunks)] if chunks > 1 else [body]
    if chunks > 1:  # split in order, not interleaved
        size = max(1, len(body) // chunks)
        pieces = [body[i:i + size] for i in range(0, len(body), size)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
                for i, p in enumerate(pieces)]
    all_headers = list(headers or [])
    if content_type is not None:
        all_headers.append((b"content-type", content_type.encode()))

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "headers": all_headers}
    asyncio.run(app(scope, receive, send))
    start, payload = sent
    return start["status"], dict(start["headers"]), payload["body"]
