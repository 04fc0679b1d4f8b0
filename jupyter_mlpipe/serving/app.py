"""The model server as one ASGI application: routing, body limits, errors, model scheduling.

Routes (Seldon protocol, then Open Inference V2)::

    POST /predict  /api/v1.0/predictions  /api/v0.1/predictions   (GET /predict?json=...)
    POST /seldon/<deployment>/api/v0.1/predictions
    POST /seldon/<namespace>/<deployment>/api/v1.0/predictions
    POST /api/v1.0/feedback  /api/v0.1/feedback  /send-feedback   (GET /send-feedback?json=...)
    GET  /health/ping  /health/status  /metadata  /seldon.json
    GET  /v2  /v2/health/live  /v2/health/ready  /v2/models/<name>[/versions/<v>][/ready]
    POST /v2/models/<name>[/versions/<v>]/infer

Every error is JSON: Seldon's ``{"status": {...}}`` on Seldon routes, ``{"error": ...}`` on V2
routes; 404 for unknown paths, 405 for wrong methods, 413 over the body limit, 415 for
unsupported content types, 500 when the model fails. Tracebacks go to the log only.

Model calls run on the event loop while they are fast (a thread hop costs more than a small
model's predict) and move to one dedicated thread when they are slow, so a slow model never
starves health checks; one thread keeps the model's calls serial, as under Seldon's one worker.
A request whose body is over ``OFFLOAD_BODY`` bytes is always handled on that thread, and a
prediction's JSON body that large is decoded in a helper process (:mod:`.bigbody`): decoding
megabytes of JSON holds the GIL, and must not hold up ``/health/ping``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

from ..errors import PredictError
from .bigbody import Decoder, decode
from .handlers import Handlers, json_response
from .http import (
    BodyTooLarge,
    ClientGone,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    declared_length,
    header,
    read_body,
    send_response,
)
from .messages import is_json_type, mimetype
from .model import ServedModel, as_predict_error
from .seldon_protocol import bad_data, error_body

log = logging.getLogger("jupyter_mlpipe.serving")

DEFAULT_MAX_BODY = 32 * 1024 * 1024
Handler = Callable[[Request], Response]
# (handler, calls the model, speaks V2)
Route = tuple[Handler, bool, bool]

OFFLOAD_BODY = 256 * 1024  # bytes of request body parsed off the event loop
_OFFLOAD_ABOVE = 0.005  # seconds of model time (smoothed) before calls move off the loop
_INLINE_BELOW = 0.002
_PREDICTION_VERSIONS = ("v0.1", "v1.0")


class ModelApp:
    """ASGI app serving one model.

    Args:
        model: the loaded model.
        deployment: the deployment name the ingress-style paths must carry (None: any).
        max_body: the largest request body accepted, in bytes.
        offload: ``"auto"`` (measure), ``"always"`` or ``"never"`` run model calls on a thread.
    """

    def __init__(self, model: ServedModel, *, deployment: str | None = None,
                 max_body: int = DEFAULT_MAX_BODY, offload: str = "auto") -> None:
        if offload not in ("auto", "always", "never"):
            raise ValueError(f"offload must be auto, always or never, got {offload!r}")
        self.model = model
        self.handlers = Handlers(model)
        self.deployment = deployment
        self.max_body = max_body
        self.offload = offload
        self._threaded = offload == "always"
        self._model_time = 0.0
        self._queued = 0  # model calls handed to the thread and not finished yet
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="model")
        self._decoder = Decoder()
        # predict_raw/predict_rest get the message exactly as sent: no helper decoding for them
        self._helper_decodes = not (model.has_raw or model.has_predict_rest)
        h = self.handlers
        predict: dict[str, Route] = {"POST": (h.predict, True, False)}
        feedback: dict[str, Route] = {"POST": (h.feedback, True, False)}
        self._fixed: dict[str, dict[str, Route]] = {
            "/predict": {**predict, "GET": (h.predict, True, False)},
            "/api/v1.0/predictions": predict,
            "/api/v0.1/predictions": predict,
            "/api/v1.0/feedback": feedback,
            "/api/v0.1/feedback": feedback,
            "/send-feedback": {**feedback, "GET": (h.feedback, True, False)},
            "/seldon.json": {"GET": (h.openapi, False, False)},
            "/health/ping": {"GET": (h.ping, False, False)},
            "/health/status": {"GET": (h.health_status, True, False)},
            "/api/v1.0/health/status": {"GET": (h.health_status, True, False)},
            "/metadata": {"GET": (h.metadata, False, False)},
            "/api/v1.0/metadata": {"GET": (h.metadata, False, False)},
            "/v2": {"GET": (h.v2_server, False, True)},
            "/v2/health/live": {"GET": (h.v2_live, False, True)},
            "/v2/health/ready": {"GET": (h.v2_ready, False, True)},
        }
        self._predict = predict
        self._feedback = feedback

    # --- routing ---------------------------------------------------------------------------

    def _seldon_ingress(self, parts: list[str]) -> dict[str, Route] | None:
        # /seldon/<dep>/api/<v>/<verb> or /seldon/<ns>/<dep>/api/<v>/<verb>
        if len(parts) not in (5, 6) or parts[-3] != "api" or parts[-2] not in _PREDICTION_VERSIONS:
            return None
        deployment = parts[-4]
        if self.deployment is not None and deployment != self.deployment:
            raise PredictError(
                f"no deployment {deployment!r} here — this server serves {self.deployment!r}",
                status=404, body=error_body(
                    f"no deployment {deployment!r} here — this server serves "
                    f"{self.deployment!r}", "NOT_FOUND"))
        return {"predictions": self._predict, "feedback": self._feedback}.get(parts[-1])

    def _v2_model(self, parts: list[str]) -> dict[str, Route] | None:
        # /v2/models/<name>[/versions/<v>][/ready|/infer]
        rest = parts[3:]
        if len(rest) >= 2 and rest[0] == "versions":
            rest = rest[2:]
        if parts[2] != self.model.name:
            message = f"model {parts[2]!r} not found — this server serves {self.model.name!r}"
            raise PredictError(message, status=404, body={"error": message})
        h = self.handlers
        if not rest:
            return {"GET": (h.v2_model_metadata, False, True)}
        if rest == ["ready"]:
            return {"GET": (h.v2_model_ready, False, True)}
        if rest == ["infer"]:
            return {"POST": (h.v2_infer, True, True)}
        return None

    def route(self, path: str) -> dict[str, Route] | None:
        """The methods served at ``path`` (None: no such path).

        Raises:
            PredictError: 404 for a path naming another deployment or model.
        """
        fixed = self._fixed.get(path.rstrip("/") or "/")
        if fixed is not None:
            return fixed
        parts = path.strip("/").split("/")
        if parts[0] == "seldon":
            return self._seldon_ingress(parts)
        if len(parts) >= 3 and parts[0] == "v2" and parts[1] == "models":
            return self._v2_model(parts)
        return None

    # --- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = await self._http(scope, receive)
            if response is not None:
                await send_response(send, response)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive) -> Response | None:
        path: str = scope["path"]
        v2 = path.startswith("/v2")
        try:
            methods = self.route(path)
            if methods is None:
                raise _error(404, f"no route {path!r} — see /metadata, /api/v1.0/predictions, "
                             "/v2/models/<name>/infer", "NOT_FOUND", v2)
            method = scope["method"]
            chosen = methods.get("GET" if method == "HEAD" else method)
            if chosen is None:
                allowed = ", ".join(sorted(methods))
                error = _error(405, f"{method} is not allowed on {path} — use {allowed}",
                               "METHOD_NOT_ALLOWED", v2)
                return _error_response(error, ((b"allow", allowed.encode("ascii")),))
            handler, heavy, v2 = chosen
            length = declared_length(scope)
            if length is not None and length > self.max_body:
                raise _error(413, f"the body ({length} bytes) is over the limit of "
                             f"{self.max_body} bytes — send less data per request",
                             "MICROSERVICE_BAD_DATA", v2)
            try:
                body = await read_body(receive, self.max_body)
            except BodyTooLarge:
                raise _error(413, f"the body is over the limit of {self.max_body} bytes — send "
                             "less data per request", "MICROSERVICE_BAD_DATA", v2) from None
            content_type = (header(scope, b"content-type") or b"").decode("latin-1")
            request = Request(method, path, scope.get("query_string", b""), content_type, body)
            if handler == self.handlers.predict and len(body) > OFFLOAD_BODY:
                request = await self._decode_off_process(request)
            if heavy:
                return await self._call_model(handler, request,
                                              off_loop=len(body) > OFFLOAD_BODY)
            return handler(request)
        except ClientGone:
            return None
        except PredictError as exc:
            return _error_response(_for_protocol(exc, v2))
        except Exception as exc:  # model code (or a bug): never a traceback on the wire
            error = as_predict_error(exc)
            log.exception("%s %s failed: %s", scope.get("method"), path, error)
            return _error_response(_for_protocol(error, v2))

    async def _call_model(self, handler: Handler, request: Request, *,
                          off_loop: bool = False) -> Response:
        # Inline only when no call is queued on the thread either: the model must never run
        # two calls at once (user models need not be thread-safe).
        if not (self._threaded or off_loop or self._queued):
            started = time.perf_counter()
            try:
                return handler(request)
            finally:
                self._observe(time.perf_counter() - started)
        loop = asyncio.get_running_loop()
        self._queued += 1
        try:
            return await loop.run_in_executor(self._executor, self._timed, handler, request)
        finally:
            self._queued -= 1

    async def _decode_off_process(self, request: Request) -> Request:
        if not (self._helper_decodes and request.method == "POST" and not request.query
                and is_json_type(mimetype(request))):
            return request
        loop = asyncio.get_running_loop()
        try:
            ok, decoded = await loop.run_in_executor(self._decoder.pool(), decode, request.body)
        except BrokenProcessPool:  # the helper died (killed, out of memory): decode here
            log.warning("the body decoding helper stopped; it is restarted on next use")
            self._decoder.close()
            return request
        if not ok:
            raise bad_data(decoded)
        return replace(request, decoded=decoded)

    def _timed(self, handler: Handler, request: Request) -> Response:
        started = time.perf_counter()
        try:
            return handler(request)
        finally:
            self._observe(time.perf_counter() - started)

    def _observe(self, seconds: float) -> None:
        self._model_time = 0.8 * self._model_time + 0.2 * seconds
        if self.offload != "auto":
            return
        if not self._threaded and self._model_time > _OFFLOAD_ABOVE:
            self._threaded = True
            log.info("model calls take %.1f ms: running them on a worker thread",
                     self._model_time * 1000)
        elif self._threaded and self._model_time < _INLINE_BELOW:
            self._threaded = False

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                asyncio.get_running_loop().set_exception_handler(AcceptErrorLog())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Release the model thread (waits for a running call to finish) and the decoder."""
        self._executor.shutdown(wait=True)
        self._decoder.close()


class AcceptErrorLog:
    """An event-loop exception handler that reports accept failures once, not per attempt.

    When the process runs out of file descriptors, asyncio retries ``accept()`` every second
    (once per pending connection) and logs a traceback each time, and the retries still pending
    at shutdown fail on the closed socket. This handler logs the first failure with its cause
    and the fix, then stays silent until ``quiet`` seconds have passed (then it says how many it
    dropped); everything else goes to asyncio's default handler.
    """

    def __init__(self, quiet: float = 60.0) -> None:
        self.quiet = quiet
        self._last = -quiet
        self._dropped = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "accept" not in str(context.get("message", "")):
            if "_start_serving" in repr(context.get("handle")):  # a retry of the above
                self._dropped += 1
                return
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._last < self.quiet:
            self._dropped += 1
            return
        more = f" ({self._dropped} more since the last report)" if self._dropped else ""
        log.error("cannot accept connections: %s%s — too many open connections; idle ones "
                  "are closed after the read timeout (raise `ulimit -n` for more)",
                  context.get("exception") or context.get("message"), more)
        self._last, self._dropped = now, 0


def _error(status: int, info: str, reason: str, v2: bool) -> PredictError:
    body = {"error": info} if v2 else error_body(info, reason)
    return PredictError(info, status=status, body=body)


def _for_protocol(error: PredictError, v2: bool) -> PredictError:
    if v2 and isinstance(error.body, dict) and "status" in error.body:
        return PredictError(str(error), status=error.status, body={"error": str(error)})
    return error


def _error_response(error: PredictError,
                    headers: tuple[tuple[bytes, bytes], ...] = ()) -> Response:
    status = error.status or 500
    try:
        body = json_response(error.body if error.body is not None else {"error": str(error)}).body
    except PredictError:
        body = json_response(error_body(str(error), "MICROSERVICE_INTERNAL_ERROR")).body
    return Response(status, body, headers=headers)
