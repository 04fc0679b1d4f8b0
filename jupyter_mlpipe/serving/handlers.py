"""Request handlers: synchronous functions from a decoded :class:`Request` to a :class:`Response`.

They hold the protocol logic and call the model; the ASGI layer (:mod:`.app`) routes, reads
bodies and decides on which thread a handler runs. Handlers raise
:class:`~jupyter_mlpipe.errors.PredictError` for anything the client should see as an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import __version__
from ..errors import PredictError
from . import jsoncodec
from .http import TEXT, Request, Response
from .messages import decode_message, is_json_type, mimetype
from .model import NOT_IMPLEMENTED, ServedModel, check_metrics
from .openapi import seldon_openapi
from .seldon_protocol import (
    SeldonRequest,
    bad_data,
    build_response,
    model_error,
    parse_request,
)
from .v2_protocol import build_infer_response, parse_infer, v2_error

_NO_REQUEST = SeldonRequest("none", None, [], {}, {})
INGRESS_PREFIX = "/seldon/"


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

    def _reply_dict(self, request: SeldonRequest, result: Any, *,
                    make_puid: bool = False, feedback: bool = False) -> dict[str, Any]:
        data, runtime_tags, runtime_metrics = _unpack(result)
        if data is None and feedback:  # SeldonResponse(None) from send_feedback: Seldon
            data = []                  # answers an empty array
        tags = {**self.model.tags(), **runtime_tags}
        metrics = self.model.metrics() + runtime_metrics
        if not self.model.metrics_in_reply:
            metrics = []
        return build_response(request, data, model_names=self.model.class_names_fn(),
                              tags=tags, metrics=metrics, request_path=self.model.request_path,
                              make_puid=make_puid)

    def predict(self, request: Request) -> Response:
        """``/predict``, ``/api/v1.0/predictions`` and the ingress-style paths.

        A ``meta.puid`` is echoed; one is made up only on the ingress-style paths, where in a
        cluster Seldon's executor adds it (the microservice itself does not).
        """
        message = decode_message(request)
        if self.model.has_predict_rest:
            return self._raw_reply(self.model.predict_rest(message))
        if self.model.has_raw:
            raw = self.model.predict_raw(message)
            if raw is not NOT_IMPLEMENTED:
                return self._raw_reply(raw)
        parsed = parse_request(message)
        # Seldon passes the request's meta as sent: None when the request has none.
        result = self.model.predict(parsed.features, parsed.names, message.get("meta"))
        return json_response(self._reply_dict(
            parsed, result, make_puid=request.path.startswith(INGRESS_PREFIX)))

    def _raw_reply(self, raw: Any) -> Response:
        if not self.model.metrics_in_reply and isinstance(raw, dict) and isinstance(
                raw.get("meta"), dict):
            raw = {**raw, "meta": {k: v for k, v in raw["meta"].items() if k != "metrics"}}
        status = 200
        if isinstance(raw, dict) and isinstance(raw.get("status"), dict):
            code = raw["status"].get("code")
            if isinstance(code, int) and 100 <= code <= 599:
                status = code
        if isinstance(raw, (bytes, bytearray)):
            return Response(status, bytes(raw))
        return json_response(raw, status)

    def feedback(self, request: Request) -> Response:
        """``/api/v1.0/feedback``, ``/send-feedback``: hand the feedback to the model.

        ``send_feedback_rest(json_text)`` gets the message and its answer is the reply; else
        ``send_feedback`` gets request features, names, reward, truth and this unit's routing.
        The reply is written as Seldon writes a protobuf message: empty ``names`` and tensor
        ``values`` are left out, and only the feedback request's own ``puid`` is echoed.
        """
        message = decode_message(request)
        if not isinstance(message, dict):
            raise bad_data("a Feedback message must be an object with request/truth/reward")
        reward = message.get("reward", 0.0)
        if not isinstance(reward, (int, float)) or isinstance(reward, bool):
            raise bad_data(f"reward must be a number, got {reward!r}")
        if self.model.has_feedback_rest:
            answer = self.model.send_feedback_rest(jsoncodec.dumps(message).decode("utf-8"))
            return json_response({} if answer is None else answer)
        parsed = _optional_message(message.get("request"), "request")
        truth = _optional_message(message.get("truth"), "truth")
        response = message.get("response")
        routing = None
        if isinstance(response, dict) and isinstance(response.get("meta"), dict):
            routes = response["meta"].get("routing")
            routing = routes.get(self.model.name) if isinstance(routes, dict) else None
        # Seldon hands feedback payloads over as arrays: an empty one when absent.
        result = self.model.send_feedback(_or_empty(parsed.features), parsed.names, reward,
                                          _or_empty(truth.features), routing)
        puid = parsed.meta.get("puid")
        reply = self._reply_dict(SeldonRequest(parsed.form, None, [], {}, parsed.message),
                                 result, feedback=True)
        if puid:
            reply["meta"]["puid"] = puid
        return json_response(_as_protobuf_json(reply))

    def health_status(self, request: Request) -> Response:
        """``/health/status``: ``health_status_raw()`` as is, else ``health_status()`` wrapped."""
        raw = self.model.health_raw()
        if raw is not NOT_IMPLEMENTED:
            return json_response(raw)
        return json_response(self._reply_dict(_NO_REQUEST, self.model.health()))

    def ping(self, request: Request) -> Response:
        """``/health/ping``: the process answers (``pong``, as Seldon's microservice)."""
        return Response(200, b"pong", TEXT)

    def metadata(self, request: Request) -> Response:
        """``/metadata``: see :mod:`.metadata`; 500 ``MICROSERVICE_BAD_METADATA`` if invalid."""
        if self.model.metadata is None:
            raise model_error("Model metadata unavailable", reason="MICROSERVICE_BAD_METADATA")
        return json_response(self.model.metadata)

    def openapi(self, request: Request) -> Response:
        """``/seldon.json``: the OpenAPI description of the Seldon routes served here."""
        return json_response(seldon_openapi())

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
        meta = self.model.metadata or {}
        return json_response({
            "name": self.model.name, "versions": [v for v in meta.get("versions", []) if v],
            "platform": meta.get("platform") or "jupyter-mlpipe",
            "inputs": meta.get("inputs", []), "outputs": meta.get("outputs", []),
        })

    def v2_infer(self, request: Request) -> Response:
        """``/v2/models/<name>/infer``: one input → ``predict(array)``, several → a dict."""
        media = mimetype(request)
        if not is_json_type(media):
            raise v2_error(f"Content-Type {media!r} is not supported — send application/json",
                           415)
        try:
            message = jsoncodec.loads(request.body)
        except ValueError as exc:
            raise v2_error(f"invalid JSON ({exc})") from None
        except RecursionError:
            raise v2_error("the JSON is nested too deeply") from None
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


def _or_empty(features: Any) -> Any:
    return np.array([]) if features is None else features


def _as_protobuf_json(reply: dict[str, Any]) -> dict[str, Any]:
    # Seldon answers feedback through a protobuf message, whose JSON form omits empty repeated
    # fields: no "names": [] and no empty tensor "values".
    data = reply.get("data")
    if isinstance(data, dict):
        data = dict(data)
        if not data.get("names"):
            data.pop("names", None)
        tensor = data.get("tensor")
        if isinstance(tensor, dict) and len(tensor.get("values", ())) == 0:
            data["tensor"] = {k: v for k, v in tensor.items() if k != "values"}
        reply = {**reply, "data": data}
    return reply
