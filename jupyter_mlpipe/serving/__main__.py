"""``python -m jupyter_mlpipe.serving --folder DIR --port N``: serve a packaged model.

Writes only log lines to stdout. Exit status: 0 after a clean drain (SIGTERM/SIGINT), 1 when
the model cannot be loaded or the port cannot be bound, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import MlpipeError
from .app import DEFAULT_MAX_BODY
from .server import ServerOptions, configure_logging, serve


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of the model server."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_mlpipe.serving",
        description="Serve a Seldon s2i (or MLServer) model folder over the Seldon and "
                    "Open Inference (V2) REST protocols.")
    parser.add_argument("--folder", required=True, type=Path, help="the packaged model folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="TCP port (default 9000)")
    parser.add_argument("--name", default=None,
                        help="deployment name for ingress paths and V2 (default: the model's)")
    parser.add_argument("--image", default=None,
                        help="the model's image reference (metadata name/version; "
                             "meta.requestPath with PREDICTIVE_UNIT_ID)")
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY,
                        help=f"largest request body in bytes (default {DEFAULT_MAX_BODY})")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds in-flight requests get after SIGTERM (default 10)")
    parser.add_argument("--offload", choices=("auto", "always", "never"), default="auto",
                        help="run model calls on a worker thread (auto: when they are slow)")
    parser.add_argument("--header-timeout", type=_positive, default=10.0,
                        help="seconds a connection gets to send request headers (default 10)")
    parser.add_argument("--body-timeout", type=_positive, default=30.0,
                        help="seconds a request gets to send its body (default 30)")
    parser.add_argument("--keep-alive", type=_positive, default=5.0,
                        help="seconds an idle connection stays open (default 5)")
    parser.add_argument("--max-connections", type=int, default=1000,
                        help="connections served at once; more are answered 503 (default 1000)")
    parser.add_argument("--log-level", default="INFO",
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, serve, and return the exit status."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    options = ServerOptions(folder=args.folder.resolve(), host=args.host, port=args.port,
                            name=args.name, image=args.image, max_body=args.max_body,
                            grace=args.grace, offload=args.offload,
                            header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                            keep_alive=args.keep_alive, max_connections=args.max_connections)
    try:
        return serve(options)
    except MlpipeError as exc:
        logging.getLogger("jupyter_mlpipe.serving").error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
