"""Checks for values that records carry, on the way into a file and on the way out.

A record file may have been edited, damaged or written by something else: these functions take
only what our writers produce — ints of magnitude below 2**53 (what JavaScript holds exactly),
finite numbers, bounded texts and nests — and raise otherwise, naming the field and the value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidArgument, StoreError

MAX_ID = 2**53  # group and experiment ids must survive a trip through JavaScript
_MAX_TEXT = 20_000
_MAX_DEPTH = 8
_MAX_ITEMS = 2_000


def check_id(value: object, what: str) -> int:
    """A group or experiment id: a positive int below 2**53 (a bool is not an int here).

    Strings of ASCII digits are accepted too (``"17"``), nothing else (``"١٧"``, ``"1e3"``).

    Raises:
        InvalidArgument: with the rule and the value.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_ID:
        raise InvalidArgument(
            f"{what} id must be a positive integer below 2**53, got {short(value)}"
        )
    return value


def check_json(value: Any, where: str, depth: int = 0) -> Any:
    """Return ``value`` if it is plain JSON a browser reads exactly, else raise.

    Plain JSON here: str, bool, None, finite floats, ints of magnitude below 2**53, lists and
    string-keyed objects nested at most 8 deep, with at most 2,000 items each.

    Raises:
        StoreError: naming ``where`` and the offending value.
    """
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > _MAX_TEXT:
            raise StoreError(f"{where}: a text of {len(value)} characters is too long")
        return value
    if isinstance(value, int):
        if abs(value) >= MAX_ID:
            raise StoreError(f"{where}: integer {short(value)} is beyond 2**53")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StoreError(f"{where}: {value!r} is not a finite number")
        return value
    if depth >= _MAX_DEPTH:
        raise StoreError(f"{where}: nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, (list, tuple)):
        if len(value) > _MAX_ITEMS:
            raise StoreError(f"{where}: a list of {len(value)} items is too long")
        return [check_json(v, where, depth + 1) for v in value]
    if isinstance(value, Mapping):
        if len(value) > _MAX_ITEMS or not all(isinstance(k, str) for k in value):
            raise StoreError(f"{where}: an object needs string keys and at most {_MAX_ITEMS}")
        return {k: check_json(v, where, depth + 1) for k, v in value.items()}
    raise StoreError(f"{where}: {type(value).__name__} is not JSON")


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def text_field(data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise StoreError(f"field {key!r} must be a text, got {short(value)}")
    return value


def time_field(data: Mapping[str, Any], key: str, optional: bool = False) -> float | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StoreError(f"field {key!r} must be a time in seconds, got {short(value)}")
    if not (math.isfinite(value) and 0 <= value < 1e11):
        raise StoreError(f"field {key!r} is not a plausible time, got {short(value)}")
    return float(value)


def choice_field(data: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str:
    value = data.get(key)
    if value not in allowed:
        raise StoreError(f"field {key!r} must be one of {', '.join(allowed)}, got {short(value)}")
    return str(value)


def object_field(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise StoreError(f"field {key!r} must be an object, got {short(value)}")
    return dict(check_json(value, f"field {key!r}"))
