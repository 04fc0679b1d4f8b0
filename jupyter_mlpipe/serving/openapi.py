"""The OpenAPI 3 description of the Seldon routes (served at ``/seldon.json``, as Seldon does)."""

from __future__ import annotations

from functools import cache
from typing import Any

from .. import __version__


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _operation(summary: str, request: str | None, reply: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {
            "200": {"description": "OK", **_json(reply)},
            "400": {"description": "the request is not a valid message", **_json("Status")},
            "500": {"description": "the model failed", **_json("Status")},
        },
    }
    if request is not None:
        operation["requestBody"] = {"required": True, **_json(request)}
    return operation


_DEFAULT_DATA = {"type": "object", "properties": {
    "names": {"type": "array", "items": {"type": "string"}},
    "tensor": {"type": "object", "properties": {
        "shape": {"type": "array", "items": {"type": "integer"}},
        "values": {"type": "array", "items": {"type": "number"}}}},
    "ndarray": {"type": "array", "items": {}},
}}
_META = {"type": "object", "properties": {
    "puid": {"type": "string"}, "tags": {"type": "object"},
    "routing": {"type": "object", "additionalProperties": {"type": "integer"}},
    "requestPath": {"type": "object", "additionalProperties": {"type": "string"}},
    "metrics": {"type": "array", "items": {"type": "object", "required": ["key", "type", "value"],
                                           "properties": {
                                               "key": {"type": "string"},
                                               "type": {"enum": ["COUNTER", "GAUGE", "TIMER"]},
                                               "value": {"type": "number"},
                                               "tags": {"type": "object"}}}}}}
_MESSAGE = {"type": "object", "properties": {
    "meta": {"$ref": "#/components/schemas/Meta"},
    "data": {"$ref": "#/components/schemas/DefaultData"},
    "jsonData": {}, "strData": {"type": "string"},
    "binData": {"type": "string", "format": "byte"},
    "status": {"$ref": "#/components/schemas/Status"},
}}
_FEEDBACK = {"type": "object", "properties": {
    "request": {"$ref": "#/components/schemas/SeldonMessage"},
    "response": {"$ref": "#/components/schemas/SeldonMessage"},
    "truth": {"$ref": "#/components/schemas/SeldonMessage"},
    "reward": {"type": "number"},
}}
_STATUS = {"type": "object", "properties": {"status": {"type": "object", "properties": {
    "code": {"type": "integer"}, "info": {"type": "string"}, "reason": {"type": "string"},
    "status": {"type": "integer"}}}}}


@cache
def seldon_openapi() -> dict[str, Any]:
    """The description as a dict (built once)."""
    predict = _operation("Predict on a SeldonMessage", "SeldonMessage", "SeldonMessage")
    feedback = _operation("Send feedback on a prediction", "Feedback", "SeldonMessage")
    health = _operation("The model's health", None, "SeldonMessage")
    return {
        "openapi": "3.0.0",
        "info": {"title": "Seldon model microservice (jupyter-mlpipe local server)",
                 "version": __version__},
        "paths": {
            "/predict": {"post": predict},
            "/api/v1.0/predictions": {"post": predict},
            "/api/v0.1/predictions": {"post": predict},
            "/send-feedback": {"post": feedback},
            "/api/v1.0/feedback": {"post": feedback},
            "/api/v0.1/feedback": {"post": feedback},
            "/health/status": {"get": health},
            "/health/ping": {"get": {"summary": "Liveness", "responses": {
                "200": {"description": "pong", "content": {"text/plain": {}}}}}},
            "/metadata": {"get": {"summary": "Model metadata", "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "500": {"description": "invalid metadata", **_json("Status")}}}},
        },
        "components": {"schemas": {"SeldonMessage": _MESSAGE, "Feedback": _FEEDBACK,
                                   "DefaultData": _DEFAULT_DATA, "Meta": _META,
                                   "Status": _STATUS}},
    }
