"""Run the model server: load the folder's model once, then serve it with uvicorn (httptools).

One process, one event loop, the model loaded before the port opens (so a successful
``/health/ping`` means the model is ready). SIGTERM or SIGINT drains: the listening socket
closes, requests in flight finish (up to ``grace`` seconds), and the process exits 0.
"""

from __future__ import annotations

import logging
import math
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import jsoncodec
from .app import DEFAULT_MAX_BODY, ModelApp
from .loader import inspect_folder, load_model
from .model import ServedModel
from .seldon_protocol import error_body

log = logging.getLogger("jupyter_mlpipe.serving")


@dataclass(frozen=True)
class ServerOptions:
    """How to serve a folder.

    Attributes:
        folder: the packaged model folder.
        host: the address to bind (``127.0.0.1`` keeps it private to the machine).
        port: the TCP port.
        name: the deployment name (ingress paths, V2 model name); default: the folder's model.
        image: what ``meta.requestPath`` reports for the model (default: the folder path).
        max_body: the largest request body accepted, in bytes.
        grace: seconds in-flight requests get to finish after SIGTERM.
        offload: ``auto`` | ``always`` | ``never`` run model calls on a worker thread.
    """

    folder: Path
    host: str = "127.0.0.1"
    port: int = 9000
    name: str | None = None
    image: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    grace: float = 10.0
    offload: str = "auto"


def build_app(options: ServerOptions) -> ModelApp:
    """Load the model of ``options.folder`` and wrap it in the ASGI app.

    Raises:
        DeployError: the folder cannot be loaded.
    """
    spec = inspect_folder(options.folder)
    obj = load_model(spec)
    model_name = options.name or spec.model_name
    request_path = {model_name: options.image or str(spec.folder)}
    served = ServedModel(obj, model_name, request_path)
    return ModelApp(served, deployment=options.name, max_body=options.max_body,
                    offload=options.offload)


def http_protocol() -> Any:
    """uvicorn's httptools protocol, answering unparsable HTTP with Seldon's JSON error.

    uvicorn answers a request it cannot parse (a garbled request line or header) itself, in
    plain text, before the app sees it; this subclass keeps even those answers JSON. Falls back
    to the stock protocol if uvicorn's internals differ from what it expects.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
    except ImportError:
        return "httptools"
    if not hasattr(HttpToolsProtocol, "send_400_response"):
        return "httptools"

    class JsonErrorsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            body = jsoncodec.dumps(error_body(f"malformed HTTP request: {msg}"))
            content = [STATUS_LINE[400]]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([b"content-type: application/json\r\n",
                            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                            b"connection: close\r\n\r\n", body])
            self.transport.write(b"".join(content))
            self.transport.close()

    return JsonErrorsProtocol


def _uvicorn_config(app: ModelApp, options: ServerOptions) -> Any:
    import uvicorn

    return uvicorn.Config(
        app, host=options.host, port=options.port, http=http_protocol(), loop="asyncio",
        lifespan="on", access_log=False, log_config=None, server_header=False,
        timeout_graceful_shutdown=max(1, math.ceil(options.grace)), timeout_keep_alive=30,
        backlog=2048,
    )


def serve(options: ServerOptions) -> int:
    """Load the model and serve until SIGTERM/SIGINT; return the process exit status.

    Raises:
        DeployError: the folder cannot be loaded.
    """
    import uvicorn

    app = build_app(options)
    server = uvicorn.Server(_uvicorn_config(app, options))
    # uvicorn re-raises the signal that stopped it once it has drained, which would end the
    # process with "killed by SIGTERM"; a no-op handler in place beforehand makes a clean
    # drain exit 0 instead.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    log.info("serving %s (%s) from %s on http://%s:%d", app.model.name,
             type(app.model.obj).__name__, options.folder, options.host, options.port)
    try:
        server.run()
    except SystemExit:  # uvicorn exits this way when it cannot bind or start up
        server.started = False
    if not server.started:
        log.error("the server could not start on %s:%d — is the port free?", options.host,
                  options.port)
        return 1
    log.info("stopped")
    return 0


def configure_logging(level: str = "INFO") -> None:
    """Log lines to stdout (the deployer captures them in the deployment's log file)."""
    logging.basicConfig(stream=sys.stdout, level=level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
