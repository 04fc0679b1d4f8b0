"""The double's HTTP side: Kubernetes REST paths over a threaded stdlib server on 127.0.0.1.

Serves create (POST), get/list/watch (GET), merge patch (PATCH), replace (PUT), delete (DELETE) for
core (``/api/v1``) and group (``/apis/G/V``) resources, and pod logs (``.../pods/N/log``, with
``follow``). Every request is counted; faults can be injected per method and path. Writes are
checked as an API server checks them (:mod:`.validation`): 422 for invalid objects, 409 for a
stale ``resourceVersion``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .objects import ApiError, ObjectStore, matches
from .validation import validate

_PATH = re.compile(
    r"^/(?:api/(?P<cv>v1)|apis/(?P<g>[^/]+)/(?P<v>[^/]+))/namespaces/(?P<ns>[^/]+)/"
    r"(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>log|status))?$")


@dataclass
class Fault:
    """Answer ``status`` to requests matching ``method`` and the ``path`` regex, ``times`` times."""

    method: str
    path: str
    status: int
    reason: str
    times: int = 1


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    server: DoubleServer
    protocol_version = "HTTP/1.0"  # one request per connection; streams end by closing

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        srv = self.server
        srv.requests.append(Request(self.command, url.path, query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            srv.check_fault(self.command, url.path)
            m = _PATH.match(url.path)
            if not m:
                raise ApiError(404, "NotFound", f"no route for {url.path}")
            self._route(m.groupdict(), query, json.loads(raw) if raw else None)
        except ApiError as exc:
            self._send(exc.status, exc.body())
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _dispatch

    def _route(self, p: dict[str, str], query: dict[str, str], body: Any) -> None:
        store, plural, ns, name = self.server.store, p["plural"], p["ns"], p["name"]
        if p["sub"] == "log":
            return self.server.double.stream_log(self, ns, name, query)
        if self.command == "GET" and name:
            return self._send(200, store.get(plural, ns, name))
        if self.command == "GET":
            if query.get("watch") in ("true", "1"):
                return self._watch(plural, ns, query)
            items, rv = store.list(plural, ns, query.get("labelSelector", ""),
                                   query.get("fieldSelector", ""))
            return self._send(200, {"kind": "List", "apiVersion": "v1", "items": items,
                                    "metadata": {"resourceVersion": str(rv)}})
        if self.command == "POST":
            return self._send(201, store.create(plural, ns, _admit(plural, ns, body)))
        if self.command == "PATCH":
            return self._send(200, self.server.double.patch(plural, ns, name, body,
                                                            self.headers.get("Content-Type", "")))
        if self.command == "PUT":
            return self._send(200, self.server.double.replace(plural, ns, name, body))
        if self.command == "DELETE":
            obj = store.delete(plural, ns, name)
            return self._send(200, {"kind": "Status", "status": "Success", "details": {
                "name": name, "uid": obj["metadata"]["uid"]}})
        raise ApiError(405, "MethodNotAllowed", self.command)

    def start_stream(self, content_type: str) -> None:
        """Begin a chunked HTTP/1.1 response (how the API server streams watches and logs;
        clients hand each chunk over as it arrives). End it with :meth:`end_stream`."""
        self.protocol_version = "HTTP/1.1"
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _line(self, etype: str, obj: dict[str, Any]) -> None:
        self.chunk(json.dumps({"type": etype, "object": obj}).encode() + b"\n")

    def _watch(self, plural: str, ns: str, query: dict[str, str]) -> None:
        store = self.server.store
        labels, fields = query.get("labelSelector", ""), query.get("fieldSelector", "")
        timeout = float(query.get("timeoutSeconds") or 300)
        self.start_stream("application/json")
        try:
            self._events(store, plural, ns, query, labels, fields, timeout)
        finally:
            self.end_stream()

    def _events(self, store: ObjectStore, plural: str, ns: str, query: dict[str, str],
                labels: str, fields: str, timeout: float) -> None:
        gone = ApiError(410, "Expired", "too old resource version").body()
        rv = query.get("resourceVersion", "")
        with store.cond:
            since = int(rv) if rv else store.rv
            initial = [] if rv else store.list(plural, ns, labels, fields)[0]
        for obj in initial:
            self._line("ADDED", obj)
        if rv and since < store.compacted:
            return self._line("ERROR", gone)
        deadline = self.server.clock() + timeout
        while not self.server.stopping.is_set():
            with store.cond:
                if since < store.compacted:
                    batch = None
                else:
                    batch = [e for e in store.since(since) if e.plural == plural
                             and e.namespace == ns and matches(e.obj, labels, fields)]
                    newest = store.history[-1].rv if store.history else since
                    if not batch:
                        left = deadline - self.server.clock()
                        if left <= 0:
                            return
                        store.cond.wait(min(left, 0.5))
                        since = max(since, newest)
                        continue
            if batch is None:
                return self._line("ERROR", gone)
            for event in batch:
                self._line(event.type, event.obj)
                since = event.rv


def _admit(plural: str, ns: str, body: Any) -> dict[str, Any]:
    """A new object as the API server admits it: its generated name filled in, its namespace
    matching the URL's, and valid (else 400 or 422)."""
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "the request body must be a JSON object")
    meta = body.setdefault("metadata", {})
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
    if meta.get("namespace", ns) != ns:
        raise ApiError(400, "BadRequest", "the namespace of the provided object does not match"
                       " the namespace sent on the request")
    validate(plural, body)
    return body


class DoubleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, double: Any) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        import time

        self.double = double
        self.store: ObjectStore = double.store
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.stopping = threading.Event()
        self.clock = time.monotonic
        self._lock = threading.Lock()

    def check_fault(self, method: str, path: str) -> None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                    fault.times -= 1
                    raise ApiError(fault.status, fault.reason,
                                   f"injected {fault.status} {fault.reason} for {method} {path}")
