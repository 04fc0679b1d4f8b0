"""JSON in and out of the model server: orjson, with numpy arrays written directly."""

from __future__ import annotations

import base64
from typing import Any

import orjson

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def _default(obj: Any) -> Any:
    # orjson hands over what it cannot write natively: non-contiguous or exotic-dtype arrays,
    # numpy scalars of unsupported types, tuples of those, bytes.
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(obj, (bytes, bytearray)):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dumps(obj: Any) -> bytes:
    """Encode ``obj`` as JSON bytes (numpy arrays and scalars included).

    Raises:
        TypeError: something in ``obj`` has no JSON form (orjson's JSONEncodeError is one).
    """
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


def loads(data: bytes | str) -> Any:
    """Decode JSON text.

    Raises:
        ValueError: the text is not JSON (orjson's JSONDecodeError is one).
    """
    return orjson.loads(data)
