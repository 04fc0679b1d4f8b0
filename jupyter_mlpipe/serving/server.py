"""Run the model server: load the folder's model once, then serve it with uvicorn (httptools).

One process, one event loop, the model loaded before the port opens (so a successful
``/health/ping`` means the model is ready). SIGTERM or SIGINT drains: the listening socket
closes, requests in flight finish (up to ``grace`` seconds), and the process exits 0.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .app import DEFAULT_MAX_BODY, ModelApp
from .loader import inspect_folder, load_model
from .model import ServedModel
from .protocol import http_protocol

UNIT_ID_ENV = "PREDICTIVE_UNIT_ID"
UNIT_IMAGE_ENV = "PREDICTIVE_UNIT_IMAGE"
_NO_IMAGE = "NOT_IMPLEMENTED:NOT_IMPLEMENTED"  # what Seldon reports for a unit without image

log = logging.getLogger("jupyter_mlpipe.serving")


@dataclass(frozen=True)
class ServerOptions:
    """How to serve a folder.

    Attributes:
        folder: the packaged model folder.
        host: the address to bind (``127.0.0.1`` keeps it private to the machine).
        port: the TCP port.
        name: the deployment name (ingress paths, V2 model name); default: the folder's model.
        image: the model's image reference (``PREDICTIVE_UNIT_IMAGE`` wins): the default
            metadata name/version, and ``meta.requestPath`` when ``PREDICTIVE_UNIT_ID`` is set.
        max_body: the largest request body accepted, in bytes.
        grace: seconds in-flight requests get to finish after SIGTERM.
        offload: ``auto`` | ``always`` | ``never`` run model calls on a worker thread.
        header_timeout: seconds a connection gets to send a request's headers.
        body_timeout: seconds a request gets to send its body once its headers are in.
        keep_alive: seconds an idle kept-alive connection stays open.
        max_connections: open connections (and running requests) served at once; above it
            requests are answered 503.
    """

    folder: Path
    host: str = "127.0.0.1"
    port: int = 9000
    name: str | None = None
    image: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    grace: float = 10.0
    offload: str = "auto"
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive: float = 5.0
    max_connections: int = 1000


def build_app(options: ServerOptions) -> ModelApp:
    """Load the model of ``options.folder`` and wrap it in the ASGI app.

    Raises:
        DeployError: the folder cannot be loaded.
    """
    spec = inspect_folder(options.folder)
    obj = load_model(spec)
    model_name = options.name or spec.model_name
    image = os.environ.get(UNIT_IMAGE_ENV) or options.image
    # As Seldon: a unit reports itself in meta.requestPath only when the operator named it.
    unit = os.environ.get(UNIT_ID_ENV)
    request_path = {unit: image or _NO_IMAGE} if unit else {}
    served = ServedModel(obj, model_name, request_path, image=image)
    return ModelApp(served, deployment=options.name, max_body=options.max_body,
                    offload=options.offload)


def _uvicorn_config(app: ModelApp, options: ServerOptions) -> Any:
    import uvicorn

    return uvicorn.Config(
        app, host=options.host, port=options.port,
        http=http_protocol(options.header_timeout, options.body_timeout), loop="asyncio",
        lifespan="on", access_log=False, log_config=None, server_header=False,
        timeout_graceful_shutdown=max(1, math.ceil(options.grace)),
        timeout_keep_alive=max(1, math.ceil(options.keep_alive)),
        limit_concurrency=options.max_connections,
        backlog=2048,
    )


def raise_open_files_limit(wanted: int) -> int:
    """Raise the soft limit of open files towards ``wanted`` (never above the hard limit).

    Returns:
        The soft limit in force afterwards.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return int(soft)


def serve(options: ServerOptions) -> int:
    """Load the model and serve until SIGTERM/SIGINT; return the process exit status.

    Raises:
        DeployError: the folder cannot be loaded.
    """
    import uvicorn

    app = build_app(options)
    files = raise_open_files_limit(options.max_connections + 64)
    if files < options.max_connections + 64:
        log.warning("only %d files may be open: fewer than %d connections will be accepted "
                    "(raise `ulimit -n`)", files, options.max_connections)
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
