"""The Seldon Core v1 REST protocol as pure functions: parse a SeldonMessage, build the reply.

A request carries exactly one payload form: ``data`` (with ``tensor`` ``{"shape", "values"}``
or ``ndarray`` nested lists, and optional ``names``), ``jsonData`` (any JSON), ``strData`` (a
string) or ``binData`` (base64). The reply follows Seldon's rules: a dict result becomes
``jsonData``, bytes ``binData``, a string ``strData``; arrays come back as ``tensor`` when the
request used ``tensor`` (or had no ``data``) and the result is numeric, else as ``ndarray``;
``names`` are the model's class names or ``t:0 …`` for 2-D results. ``meta`` echoes the request's
``puid`` (a new one only when asked), ``tags`` (merged with the model's), ``metrics`` and
``requestPath`` (merged with this unit's, when it has one).

Errors are :class:`~jupyter_mlpipe.errors.PredictError` whose ``status`` is the HTTP status and
whose ``body`` is Seldon's error JSON, ready to send.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import PredictError

BAD_DATA = "MICROSERVICE_BAD_DATA"
INTERNAL_ERROR = "MICROSERVICE_INTERNAL_ERROR"
PAYLOAD_KEYS = ("data", "jsonData", "strData", "binData")


def error_body(info: str, reason: str = BAD_DATA) -> dict[str, Any]:
    """Seldon's error JSON."""
    return {"status": {"code": -1, "info": info, "reason": reason, "status": 1}}


def bad_data(info: str, status: int = 400) -> PredictError:
    """A 4xx error with Seldon's ``MICROSERVICE_BAD_DATA`` body."""
    return PredictError(info, status=status, body=error_body(info, BAD_DATA))


def model_error(info: str, reason: str = INTERNAL_ERROR, status: int = 500) -> PredictError:
    """A 5xx error: the model (not the request) failed."""
    return PredictError(info, status=status, body=error_body(info, reason))


def new_puid() -> str:
    """A fresh prediction id in Seldon's style: 26 lowercase base32 characters."""
    return base64.b32hexencode(os.urandom(16)).decode("ascii")[:26].lower()


@dataclass(frozen=True)
class SeldonRequest:
    """A parsed SeldonMessage.

    Attributes:
        form: ``"tensor"``, ``"ndarray"``, ``"data"`` (no array given), ``"jsonData"``,
            ``"strData"`` or ``"binData"``.
        features: what the model's ``predict`` receives (ndarray, JSON value, str or bytes).
        names: the request's feature names (``data.names``), else ``[]``.
        meta: the request's ``meta`` object (``{}`` when absent).
        message: the request as received (``predict_raw`` gets it).
    """

    form: str
    features: Any
    names: list[Any]
    meta: dict[str, Any]
    message: dict[str, Any]


def _tensor(tensor: Any) -> np.ndarray:
    if not isinstance(tensor, dict) or "values" not in tensor or "shape" not in tensor:
        raise bad_data("data.tensor needs \"shape\" and \"values\"")
    values, shape = tensor["values"], tensor["shape"]
    if not isinstance(values, (list, np.ndarray)):
        raise bad_data(f"data.tensor.values must be a list of numbers, got {type(values).__name__}")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= -1 for d in shape
    ):
        raise bad_data(f"data.tensor.shape must be a list of sizes, got {shape!r}")
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):
        raise bad_data("data.tensor.values must be a flat list of numbers") from None
    if array.dtype.kind not in "biuf" or array.ndim != 1:
        raise bad_data("data.tensor.values must be a flat list of numbers")
    try:
        return array.reshape(shape)
    except ValueError:
        raise bad_data(
            f"data.tensor has {array.size} values, which do not fit shape {shape}"
        ) from None


def _ndarray(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):  # decoded by the helper process
        return value
    if not isinstance(value, list):
        raise bad_data(f"data.ndarray must be a (nested) list, got {type(value).__name__}")
    try:
        return np.array(value)
    except (ValueError, TypeError):
        raise bad_data("data.ndarray rows must all have the same length") from None


def _data(data: Any) -> tuple[str, Any, list[Any]]:
    if not isinstance(data, dict):
        raise bad_data(f"\"data\" must be an object, got {type(data).__name__}")
    names = data.get("names", [])
    if names is None:
        names = []
    if not isinstance(names, list):
        raise bad_data(f"data.names must be a list, got {type(names).__name__}")
    if "tensor" in data:
        return "tensor", _tensor(data["tensor"]), names
    if "ndarray" in data:
        return "ndarray", _ndarray(data["ndarray"]), names
    if "tftensor" in data:
        raise bad_data("data.tftensor is not supported here — send tensor or ndarray")
    return "data", np.array([]), names


def parse_request(message: Any) -> SeldonRequest:
    """Validate a decoded JSON request and extract what the model receives.

    Raises:
        PredictError: 400 with Seldon's ``MICROSERVICE_BAD_DATA`` body.
    """
    if not isinstance(message, dict):
        raise bad_data(
            f"Invalid request data type: expected a SeldonMessage object, "
            f"got {type(message).__name__}"
        )
    meta = message.get("meta")
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        raise bad_data(f"\"meta\" must be an object, got {type(meta).__name__}")
    else:
        _check_meta(meta)
    if "data" in message:
        form, features, names = _data(message["data"])
        return SeldonRequest(form, features, names, meta, message)
    if "jsonData" in message:
        return SeldonRequest("jsonData", message["jsonData"], [], meta, message)
    if "strData" in message:
        text = message["strData"]
        if not isinstance(text, str):
            raise bad_data(f"strData must be a string, got {type(text).__name__}")
        return SeldonRequest("strData", text, [], meta, message)
    if "binData" in message:
        return SeldonRequest("binData", _base64(message["binData"]), [], meta, message)
    raise bad_data(
        "Invalid request data type: the message needs one of data, jsonData, strData, binData"
    )


def _check_meta(meta: dict[str, Any]) -> None:
    for key, kind in (("tags", dict), ("metrics", list), ("requestPath", dict)):
        value = meta.get(key)
        if value is not None and not isinstance(value, kind):
            raise bad_data(f"meta.{key} must be a{'n object' if kind is dict else ' list'}, "
                           f"got {type(value).__name__}")
    puid = meta.get("puid")
    if puid is not None and not isinstance(puid, str):
        raise bad_data(f"meta.puid must be a string, got {type(puid).__name__}")


def _base64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise bad_data(f"binData must be a base64 string, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise bad_data("binData is not valid base64") from None


def class_names_for(result: np.ndarray, model_names: Callable[[], Any] | None) -> list[Any]:
    """``names`` for an array result: the model's class names for 2-D+ results, else ``[]``."""
    if result.ndim < 2:
        return []
    if model_names is not None:
        names = model_names()
        if names is not None:
            return list(names)
    return [f"t:{i}" for i in range(result.shape[1])]


def _array_payload(request: SeldonRequest, result: Any,
                   model_names: Callable[[], Any] | None) -> dict[str, Any]:
    if isinstance(result, np.ndarray):
        array: np.ndarray | None = result
    else:
        try:
            array = np.array(result)
        except (ValueError, TypeError):  # ragged lists: send them as they are
            array = None
    numeric = array is not None and np.issubdtype(array.dtype, np.number)
    wants_tensor = request.form == "tensor" or "data" not in request.message
    if array is not None and numeric and wants_tensor:
        flat = np.ascontiguousarray(array).ravel()
        data: dict[str, Any] = {"tensor": {"shape": list(array.shape), "values": flat}}
    else:
        data = {"ndarray": result}
    data["names"] = class_names_for(array, model_names) if array is not None else []
    return data


def build_response(request: SeldonRequest, result: Any, *,
                   model_names: Callable[[], Any] | None = None,
                   tags: Mapping[str, Any] | None = None,
                   metrics: list[Any] | None = None,
                   request_path: Mapping[str, str] | None = None,
                   puid: str | None = None, make_puid: bool = False) -> dict[str, Any]:
    """The SeldonMessage reply to ``request`` for the model's ``result``.

    Arrays stay numpy arrays in the returned dict (the JSON encoder writes them directly).
    ``meta`` is built by :func:`build_meta`.

    Raises:
        PredictError: 500 when the result is of a type the protocol cannot carry.
    """
    response: dict[str, Any] = {}
    if isinstance(result, dict):
        response["jsonData"] = result
    elif isinstance(result, (bytes, bytearray)):
        response["binData"] = base64.b64encode(bytes(result)).decode("ascii")
    elif isinstance(result, str):
        response["strData"] = result
    elif isinstance(result, (np.ndarray, list)):
        response["data"] = _array_payload(request, result, model_names)
    else:
        raise model_error(
            "Unknown data type returned as payload (must be list or np array): "
            f"{type(result).__name__}"
        )
    response["meta"] = build_meta(request.meta, tags=tags, metrics=metrics,
                                  request_path=request_path, puid=puid, make_puid=make_puid)
    return response


def build_meta(meta: Mapping[str, Any], *, tags: Mapping[str, Any] | None = None,
               metrics: list[Any] | None = None, request_path: Mapping[str, str] | None = None,
               puid: str | None = None, make_puid: bool = False) -> dict[str, Any]:
    """The reply's ``meta``: puid, merged tags and metrics, and the request path.

    The puid is the request's, else ``puid``, else a new one when ``make_puid``, else none (as
    Seldon's microservice, which leaves making one to the executor in front of it).
    """
    out: dict[str, Any] = {}
    chosen = meta.get("puid") or puid or (new_puid() if make_puid else None)
    if chosen:
        out["puid"] = chosen
    merged_tags = dict(meta.get("tags") or {})
    merged_tags.update(tags or {})
    if merged_tags:
        out["tags"] = merged_tags
    merged_metrics = list(meta.get("metrics") or []) + list(metrics or [])
    if merged_metrics:
        out["metrics"] = merged_metrics
    path = {**(request_path or {}), **(meta.get("requestPath") or {})}
    if path:
        out["requestPath"] = path
    return out
