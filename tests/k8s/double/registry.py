"""A loopback stand-in for an image registry's manifest endpoint (for the "is it there" check).

``HEAD /v2/<repository>/manifests/<tag>`` answers 200 with ``Docker-Content-Digest`` for the
images in :attr:`RegistryStub.images`, 404 otherwise; with ``token`` set it first answers 401
with a Bearer challenge, as Docker Hub does, and accepts the anonymous token from ``/token``.
Lookups are counted per path.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RegistryStub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str = "") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.images: dict[str, str] = {}  # "repository:tag" -> digest
        self.token = token
        self.lookups: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> RegistryStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: RegistryStub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # the token endpoint
        if self.path.startswith("/token"):
            data = json.dumps({"token": self.server.token}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(404)
        self.end_headers()

    def do_HEAD(self) -> None:
        srv = self.server
        srv.lookups.append(self.path)
        if srv.token and self.headers.get("Authorization") != f"Bearer {srv.token}":
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Bearer realm="http://{srv.host}/token",'
                             'service="stub",scope="repository:x:pull"')
            self.end_headers()
            return
        parts = self.path.split("/manifests/")
        key = parts[0].removeprefix("/v2/") + ":" + (parts[1] if len(parts) == 2 else "")
        digest = srv.images.get(key)
        self.send_response(200 if digest else 404)
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
