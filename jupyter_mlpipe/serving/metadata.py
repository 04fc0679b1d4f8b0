"""A model's ``/metadata``: its ``init_metadata()``, ``MODEL_METADATA`` over it, Seldon's checks.

As Seldon Core 1.17.1 does: the model's dict (``{}`` when it has no ``init_metadata`` or does not
return a dict) is merged with the ``MODEL_METADATA`` environment variable (JSON or YAML; it
wins key by key), laid over the defaults (``name``/``versions`` from the image reference, else
empty), and validated against Seldon's metadata schema (V1 ``messagetype`` entries or V2
``name``/``datatype``/``shape`` tensors). Invalid metadata is not served: ``/metadata`` answers
500 ``MICROSERVICE_BAD_METADATA`` and the server logs why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("jupyter_mlpipe.serving")

METADATA_ENV = "MODEL_METADATA"

_ARRAY_TYPES = ["tensor", "ndarray", "tftensor"]
_PAYLOAD_TYPES = [*_ARRAY_TYPES, "jsonData", "strData", "binData"]
_DATATYPES = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
              "FP16", "FP32", "FP64", "BYTES"]


def _messagetype(allowed: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"messagetype": {"type": "string", **allowed}}
    if schema is not None:
        properties["schema"] = schema
    return {"type": "object", "properties": properties, "required": ["messagetype"],
            "additionalProperties": False}


_STRINGS = {"type": "array", "items": {"type": "string"}}
_INTEGERS = {"type": "array", "items": {"type": "integer"}}
_ENTRY = {"anyOf": [
    _messagetype({"enum": _ARRAY_TYPES}, {"type": "object", "additionalProperties": False,
                                          "properties": {"names": _STRINGS, "shape": _INTEGERS}}),
    _messagetype({"enum": ["jsonData"]}, {"type": "object"}),
    _messagetype({"enum": ["strData"]}, None),
    _messagetype({"enum": ["binData"]}, None),
    _messagetype({"not": {"enum": _PAYLOAD_TYPES}}, {"type": "object"}),  # custom message types
    {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string"}, "datatype": {"type": "string", "enum": _DATATYPES},
        "shape": _INTEGERS}},
]}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "versions": _STRINGS,
        "platform": {"type": "string"},
        "inputs": {"type": "array", "items": _ENTRY},
        "outputs": {"type": "array", "items": _ENTRY},
        "custom": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


class InvalidMetadata(ValueError):
    """The merged metadata breaks Seldon's schema (the message says where)."""


def split_image(image: str | None) -> tuple[str, str]:
    """``(name, version)`` of an image reference, split at its last ``:`` (``("", "")``: none)."""
    if not image:
        return "", ""
    *name, version = image.split(":")
    return ":".join(name), version


def from_environment(text: str | None) -> dict[str, Any]:
    """The ``MODEL_METADATA`` value parsed as YAML (JSON is YAML); ``{}`` when unset or invalid.

    An unparsable value is logged and ignored, as Seldon does.
    """
    if not text:
        return {}
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        log.error("%s is not valid JSON or YAML (%s) — ignored", METADATA_ENV, exc)
        return {}
    if value is None:
        return {}
    if not isinstance(value, dict):
        # Seldon merges it as a mapping and fails; an invalid value makes metadata invalid.
        raise InvalidMetadata(f"{METADATA_ENV} must be a mapping, got {type(value).__name__}")
    return value


def validate(data: Mapping[str, Any], image: str | None = None) -> dict[str, Any]:
    """``data`` over the defaults, checked against Seldon's metadata schema.

    Raises:
        InvalidMetadata: a field breaks the schema.
    """
    import jsonschema

    name, version = split_image(image)
    merged = {"name": name, "versions": [version], "platform": "", "inputs": [], "outputs": [],
              "custom": {}, **data}
    try:
        jsonschema.validate(merged, SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise InvalidMetadata(f"metadata field {where}: {exc.message}") from None
    return merged


def model_metadata(user: Any, environ: Mapping[str, str],
                   image: str | None) -> dict[str, Any] | None:
    """The metadata to serve, or None when it is invalid (the reason is logged).

    Args:
        user: what the model's ``init_metadata()`` returned (anything; a non-dict counts as {}).
        environ: where ``MODEL_METADATA`` is read.
        image: the image reference giving the default name and version.
    """
    if not isinstance(user, dict):
        if user is not None:
            log.error("init_metadata() must return a dict, got %s — ignored",
                      type(user).__name__)
        user = {}
    try:
        return validate({**user, **from_environment(environ.get(METADATA_ENV))}, image)
    except InvalidMetadata as exc:
        log.error("invalid model metadata, /metadata will answer 500: %s", exc)
        return None
