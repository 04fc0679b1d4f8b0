"""Request handlers: synchronous functions from a decoded :class:`Request` to a :class:`Response`.

They hold the protocol logic and call the model; the ASGI layer (:mod:`.app`) routes, reads
bodies and decides on which thread a handler runs. Handlers raise
:class:`~jupyter_mlpipe.errors.PredictError` for anything the client should see as an error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from .. import __version__
from ..errors import PredictError
from . import jsoncodec
from .http import TEXT, Request, Response
from .model import NOT_IMPLEMENTED, ServedModel, check_metrics
from .seldon_protocol import (
    SeldonRequest,
    bad_data,
    build_response,
    model_error,
    parse_request,
)
from .v2_protocol import build_infer_response, parse_infer, v2_error

_NO_REQUEST = SeldonRequest("none", None, [], {}, {})


def _is_json_type(mimetype: str) -> bool:
    return mimetype in ("", "application/json") or mimetype.endswith("+json")


def decode_message(request: Request) -> Any:
    """The SeldonMessage in a request: a JSON body, a form field ``json=``, or ``?json=``.

    Raises:
        PredictError: 400 for missing or invalid JSON, 415 for an unsupported content type.
    """
    text = request.query_value("json")
    mimetype = request.content_type.split(";", 1)[0].strip().lower()
    if mimetype == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(request.body.decode("utf-8"), strict_parsing=False)
        except UnicodeDecodeError:
            raise bad_data("the form body is not UTF-8") from None
        if "json" in form:
            text = form["json"][0]
        elif text is None:
            raise bad_data("Can't find JSON in data: a form request needs a json= field")
    elif text is None:
        if not _is_json_type(mimetype):
            raise bad_data(
                f"Content-Type {mimetype!r} is not supported — send application/json "
                "(or a form with a json= field)", status=415)
        if not request.body:
            raise bad_data("Can't find JSON in data: the request body is empty")
        return _loads(request.body)
    return _loads(text)


def _loads(data: bytes | str) -> Any:
    try:
        return jsoncodec.loads(data)
    except ValueError as exc:
        raise bad_data(f"Can't find JSON in data: invalid JSON ({exc})") from None


def json_response(obj: Any, status: int = 200) -> Response:
    """Encode ``obj``; a result that has no JSON form is the model's error (500)."""
    try:
        return Response(status, jsoncodec.dumps(obj))
    except TypeError as exc:
        raise model_error(f"the model's answer cannot be written as JSON: {exc}") from None


def _unpack(result: Any) -> tuple[Any, dict[str, Any], list[Any]]:
    # Seldon's SeldonResponse carries runtime tags and metrics beside the data.
    if type(result).__name__ == "SeldonResponse" and hasattr(result, "data"):
        tags = dict(getattr(result, "tags", None) or {})
        metrics = list(getattr(result, "metrics", None) or [])
        check_metrics(metrics)
        return result.data, tags, metrics
    return result, {}, []


class Handlers:
    """The protocol endpoints of one served model."""

    def __init__(self, model: ServedModel) -> None:
        self.model = model

    def _reply(self, request: SeldonRequest, result: Any, *, puid: bool = True) -> Response:
        data, runtime_tags, runtime_metrics = _unpack(result)
        tags = {**self.model.tags(), **runtime_tags}
        metrics = self.model.metrics() + runtime_metrics
        reply = build_response(request, data, model_names=self.model.class_names_fn(),
                               tags=tags, metrics=metrics, request_path=self.model.request_path)
        if not puid:
            reply["meta"].pop("puid", None)
        return json_response(reply)

    def predict(self, request: Request) -> Response:
        """``/predict``, ``/api/v1.0/predictions`` and the ingress-style paths."""
        message = decode_message(request)
        if self.model.has_raw:
            raw = self.model.predict_raw(message)
            if raw is not NOT_IMPLEMENTED:
                return self._raw_reply(raw)
        parsed = parse_request(message)
        # Seldon passes the request's meta as sent: None when the request has none.
        result = self.model.predict(parsed.features, parsed.names, message.get("meta"))
        return self._reply(parsed, result)

    def _raw_reply(self, raw: Any) -> Response:
        status = 200
        if isinstance(raw, dict) and isinstance(raw.get("status"), dict):
            code = raw["status"].get("code")
            if isinstance(code, int) and 100 <= code <= 599:
                status = code
        if isinstance(raw, (bytes, bytearray)):
            return Response(status, bytes(raw))
        return json_response(raw, status)

    def feedback(self, request: Request) -> Response:
        """``/api/v1.0/feedback``: hand request, truth and reward to ``send_feedback``."""
        message = decode_message(request)
        if not isinstance(message, dict):
            raise bad_data("a Feedback message must be an object with request/truth/reward")
        reward = message.get("reward", 0.0)
        if not isinstance(reward, (int, float)) or isinstance(reward, bool):
            raise bad_data(f"reward must be a number, got {reward!r}")
        parsed = _optional_message(message.get("request"), "request")
        truth = _optional_message(message.get("truth"), "truth")
        response = message.get("response")
        routing = None
        if isinstance(response, dict) and isinstance(response.get("meta"), dict):
            routes = response["meta"].get("routing")
            routing = routes.get(self.model.name) if isinstance(routes, dict) else None
        result = self.model.send_feedback(parsed.features, parsed.names, reward,
                                          truth.features, routing)
        return self._reply(SeldonRequest(parsed.form, None, [], {}, parsed.message), result,
                           puid=False)

    def health_status(self, request: Request) -> Response:
        """``/health/status``: the model's ``health_status()`` as a SeldonMessage."""
        return self._reply(_NO_REQUEST, self.model.health(), puid=False)

    def ping(self, request: Request) -> Response:
        """``/health/ping``: the process answers (``pong``, as Seldon's microservice)."""
        return Response(200, b"pong", TEXT)

    def metadata(self, request: Request) -> Response:
        """``/metadata``: the model's ``init_metadata()`` over Seldon's defaults."""
        return json_response(self.model.metadata)

    # --- Open Inference (V2) ---------------------------------------------------------------

    def v2_server(self, request: Request) -> Response:
        return json_response({"name": "jupyter-mlpipe", "version": __version__,
                              "extensions": []})

    def v2_live(self, request: Request) -> Response:
        return json_response({"live": True})

    def v2_ready(self, request: Request) -> Response:
        return json_response({"ready": True})

    def v2_model_ready(self, request: Request) -> Response:
        return json_response({"name": self.model.name, "ready": True})

    def v2_model_metadata(self, request: Request) -> Response:
        meta = self.model.metadata
        return json_response({
            "name": self.model.name, "versions": [v for v in meta.get("versions", []) if v],
            "platform": meta.get("platform") or "jupyter-mlpipe",
            "inputs": meta.get("inputs", []), "outputs": meta.get("outputs", []),
        })

    def v2_infer(self, request: Request) -> Response:
        """``/v2/models/<name>/infer``: one input → ``predict(array)``, several → a dict."""
        mimetype = request.content_type.split(";", 1)[0].strip().lower()
        if not _is_json_type(mimetype):
            raise v2_error(f"Content-Type {mimetype!r} is not supported — send application/json",
                           415)
        try:
            message = jsoncodec.loads(request.body)
        except ValueError as exc:
            raise v2_error(f"invalid JSON ({exc})") from None
        parsed = parse_infer(message)
        names = [item.name for item in parsed.inputs]
        features: Any = parsed.inputs[0].array if len(parsed.inputs) == 1 else {
            item.name: item.array for item in parsed.inputs}
        result, _, _ = _unpack(self.model.predict(features, names, {}))
        return json_response(build_infer_response(self.model.name, parsed, result))


def _optional_message(message: Any, what: str) -> SeldonRequest:
    if message is None or message == {}:
        return _NO_REQUEST
    try:
        return parse_request(message)
    except PredictError as exc:
        raise bad_data(f"feedback {what}: {exc}") from None
