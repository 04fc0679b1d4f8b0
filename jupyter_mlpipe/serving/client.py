"""Build Seldon requests from whatever the user has at hand, and send them.

``build_payload`` accepts an image file (PNG/JPEG/BMP/GIF → grayscale pixels scaled to 0–1, the
way training code reads MNIST), a ``.npy`` file, a ``.json`` payload file, inline JSON text, a
numpy array or (nested) list, raw bytes (``binData``), or a SeldonMessage dict (sent as is).
``predict`` POSTs it with the standard library and returns the parsed answer.

Example::

    >>> build_payload([[1.0, 2.0]])
    {'data': {'names': [], 'tensor': {'shape': [1, 2], 'values': [1.0, 2.0]}}}
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument, NotFound, PredictError

#: The most pixels an input image may have; checked from the file's header, before decoding.
MAX_IMAGE_PIXELS = 4096 * 4096
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
_PAYLOAD_KEYS = ("data", "jsonData", "strData", "binData")
_FILE_SUFFIXES = IMAGE_SUFFIXES | {".npy", ".json"}


def array_payload(array: Any) -> dict[str, Any]:
    """A SeldonMessage carrying ``array``: a ``tensor`` when numeric, else an ``ndarray``."""
    import numpy as np

    try:
        arr = np.asarray(array)
    except ValueError:  # ragged nesting: only ndarray can carry it
        return {"data": {"names": [], "ndarray": array}}
    if arr.dtype.kind in "biuf":
        values = arr.astype(np.float64).ravel().tolist()
        return {"data": {"names": [], "tensor": {"shape": list(arr.shape), "values": values}}}
    return {"data": {"names": [], "ndarray": arr.tolist()}}


def image_array(path: str | os.PathLike[str], max_pixels: int = MAX_IMAGE_PIXELS) -> Any:
    """Read an image as a 2-D grayscale float array with values in [0, 1].

    The image's size is read from its header and checked against ``max_pixels`` before any
    pixel is decoded, so a small file declaring a huge image (a "decompression bomb") costs
    nothing.

    Raises:
        InvalidArgument: the image has more than ``max_pixels`` pixels.
        PredictError: the file is not an image Pillow can read.
    """
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # the size is checked here, against a lower limit
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise _too_big(path, f"{width}×{height}", max_pixels)
            gray = image.convert("L")
    except Image.DecompressionBombError as exc:  # Pillow's own, larger limit
        raise _too_big(path, "declared too large", max_pixels) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise PredictError(f"{path} is not a readable image ({exc}) — use PNG or JPEG") from exc
    return np.asarray(gray, dtype=np.float64) / 255.0


def _too_big(path: str | os.PathLike[str], size: str, max_pixels: int) -> InvalidArgument:
    limit = " (4096×4096)" if max_pixels == MAX_IMAGE_PIXELS else ""
    return InvalidArgument(f"{path} is {size} pixels; input images may have at most "
                           f"{max_pixels:,} pixels{limit} — resize it first")


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise NotFound(f"input file {path} does not exist — check the path")
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return array_payload(image_array(path))
    if suffix == ".npy":
        import numpy as np

        try:
            return array_payload(np.load(path, allow_pickle=False))
        except ValueError as exc:
            raise PredictError(f"{path} is not a plain .npy array ({exc})") from exc
    try:
        return _from_json_value(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise PredictError(f"{path} is not valid JSON ({exc}) — fix the file") from exc


def _from_json_value(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        if any(key in value for key in _PAYLOAD_KEYS):
            return value
        return {"jsonData": value}
    if isinstance(value, list):
        return array_payload(value)
    raise PredictError(
        f"a JSON payload must be a SeldonMessage object or an array, got {type(value).__name__}"
    )


def build_payload(value: Any) -> dict[str, Any]:
    """Turn ``value`` into a SeldonMessage dict ready to POST.

    Args:
        value: a path (str or Path) to a PNG/JPEG/.npy/.json file, inline JSON text, a numpy
            array or list, bytes, or a dict (a SeldonMessage is kept as is; any other dict is
            sent as ``jsonData``).

    Raises:
        NotFound: a path was given and the file does not exist.
        InvalidArgument: an image is over :data:`MAX_IMAGE_PIXELS`.
        PredictError: the value cannot be turned into a request (the message says why).
    """
    if isinstance(value, dict):
        return _from_json_value(value)
    if isinstance(value, (bytes, bytearray)):
        return {"binData": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Path):
        return _from_file(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("{", "[")):
            try:
                return _from_json_value(json.loads(text))
            except ValueError as exc:
                raise PredictError(f"the inline JSON is not valid ({exc})") from exc
        path = Path(os.path.expanduser(text))
        if path.is_file() or path.suffix.lower() in _FILE_SUFFIXES:
            return _from_file(path)
        raise PredictError(
            f"cannot use {value!r} as input — give a PNG/JPEG/.npy/.json file, inline JSON, "
            "or an array"
        )
    if hasattr(value, "__array__") or isinstance(value, (list, tuple)):
        return array_payload(value)
    raise PredictError(f"cannot send a {type(value).__name__} — give a file, JSON or an array")


def _error_info(body: Any) -> str:
    if isinstance(body, dict):
        status = body.get("status")
        if isinstance(status, dict) and status.get("info"):
            return str(status["info"])
        if body.get("error"):
            return str(body["error"])
    return ""


def post_json(url: str, payload: Any, timeout: float = 30.0) -> Any:
    """POST ``payload`` as JSON to ``url`` and return the decoded JSON answer.

    Raises:
        PredictError: the server could not be reached, answered an error status (with the
            server's ``status.info``), or did not answer JSON.
    """
    data = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raw_error = exc.read()
        try:
            body: Any = json.loads(raw_error)
        except ValueError:
            body = raw_error.decode("utf-8", "replace")
        info = _error_info(body) or str(body)[:200] or exc.reason
        raise PredictError(f"the model server at {url} answered {exc.code}: {info}",
                           status=exc.code, body=body) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PredictError(
            f"cannot reach the model server at {url} ({reason}) — is it deployed and "
            "healthy? (`mlpipe deployments`)") from None
    try:
        return json.loads(raw)
    except ValueError:
        raise PredictError(f"the model server at {url} did not answer JSON: {raw[:200]!r}"
                           ) from None


def predict(url: str, payload: Any, timeout: float = 30.0) -> Any:
    """Send ``payload`` (anything :func:`build_payload` accepts) to a Seldon prediction URL.

    Returns:
        The parsed SeldonMessage answer.

    Raises:
        PredictError: see :func:`post_json`; NotFound for a missing input file.
    """
    return post_json(url, build_payload(payload), timeout)
