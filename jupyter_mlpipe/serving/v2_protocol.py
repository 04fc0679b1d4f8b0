"""The Open Inference (V2) REST protocol as pure functions (MLServer, KServe, Seldon Core v2).

An inference request is ``{"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype",
"data", "parameters"?}], "outputs"?}``; ``data`` is flat or nested in row-major order. The reply
is ``{"model_name", "id", "outputs": [{"name", "shape", "datatype", "data"}]}`` with flat data.
Errors are ``{"error": "..."}`` (as :class:`~jupyter_mlpipe.errors.PredictError` ``body``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import PredictError

DTYPES: dict[str, Any] = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
    "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
    "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
    "BYTES": np.object_,
}
_KIND_TO_V2 = {"b": "BOOL", "O": "BYTES", "U": "BYTES", "S": "BYTES"}


def v2_error(message: str, status: int = 400) -> PredictError:
    """An error answered as ``{"error": message}``."""
    return PredictError(message, status=status, body={"error": message})


@dataclass(frozen=True)
class InferInput:
    """One decoded input tensor."""

    name: str
    datatype: str
    array: np.ndarray


@dataclass(frozen=True)
class InferRequest:
    """A decoded inference request."""

    id: str | None
    inputs: list[InferInput]
    parameters: dict[str, Any]


def datatype_of(array: np.ndarray) -> str:
    """The V2 datatype name for a numpy array's dtype.

    Raises:
        PredictError: 500 for dtypes the protocol has no name for (complex, datetime ...).
    """
    if array.dtype.kind in _KIND_TO_V2:
        return _KIND_TO_V2[array.dtype.kind]
    for name, dtype in DTYPES.items():
        if dtype is not np.object_ and array.dtype == np.dtype(dtype):
            return name
    raise v2_error(f"the model returned dtype {array.dtype}, which V2 cannot carry", 500)


def _decode_input(index: int, item: Any) -> InferInput:
    where = f"inputs[{index}]"
    if not isinstance(item, dict):
        raise v2_error(f"{where} must be an object with name, shape, datatype, data")
    missing = [k for k in ("name", "shape", "datatype", "data") if k not in item]
    if missing:
        raise v2_error(f"{where} is missing {', '.join(missing)}")
    name, shape, datatype, data = item["name"], item["shape"], item["datatype"], item["data"]
    if not isinstance(name, str):
        raise v2_error(f"{where}.name must be a string")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise v2_error(f"{where}.shape must be a list of non-negative sizes, got {shape!r}")
    if datatype not in DTYPES:
        raise v2_error(f"{where}.datatype {datatype!r} is not one of {', '.join(DTYPES)}")
    if not isinstance(data, list):
        data = [data]
    try:
        array = np.array(data, dtype=DTYPES[datatype])
        if datatype != "BYTES" and array.dtype.kind == "O":
            raise ValueError
        array = array.reshape(shape)
    except (ValueError, TypeError, OverflowError):
        raise v2_error(
            f"{where}: data does not hold {int(np.prod(shape))} {datatype} values of shape {shape}"
        ) from None
    return InferInput(name, datatype, array)


def parse_infer(message: Any) -> InferRequest:
    """Validate an inference request.

    Raises:
        PredictError: 400 ``{"error": ...}`` saying which input is wrong and how.
    """
    if not isinstance(message, dict):
        raise v2_error("the request must be a JSON object with \"inputs\"")
    inputs = message.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise v2_error("\"inputs\" must be a non-empty list")
    request_id = message.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise v2_error("\"id\" must be a string")
    parameters = message.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise v2_error("\"parameters\" must be an object")
    return InferRequest(request_id, [_decode_input(i, x) for i, x in enumerate(inputs)],
                        parameters)


def encode_output(name: str, result: Any) -> dict[str, Any]:
    """One output tensor for an array-like result (data flattened, row-major)."""
    array = result if isinstance(result, np.ndarray) else np.asarray(result)
    datatype = datatype_of(array)
    flat = np.ascontiguousarray(array).ravel()
    data: Any = flat.tolist() if datatype in ("BYTES", "FP16") else flat
    if datatype == "BYTES":
        data = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in data]
    return {"name": name, "shape": list(array.shape), "datatype": datatype, "data": data}


def build_infer_response(model_name: str, request: InferRequest, result: Any) -> dict[str, Any]:
    """The reply: one output per array, or per key when the model returned a dict of arrays.

    Raises:
        PredictError: 500 when the result is not array-like.
    """
    if isinstance(result, dict):
        outputs = [encode_output(str(k), v) for k, v in result.items()]
    else:
        try:
            outputs = [encode_output("output-0", result)]
        except (ValueError, TypeError):
            raise v2_error(
                f"the model returned {type(result).__name__}, not an array", 500
            ) from None
    reply: dict[str, Any] = {"model_name": model_name, "outputs": outputs}
    if request.id is not None:
        reply["id"] = request.id
    return reply
