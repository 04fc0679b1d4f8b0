"""Decode large JSON SeldonMessages in a helper process, so the server's event loop stays free.

Decoding tens of megabytes of JSON holds Python's GIL for hundreds of milliseconds, however many
threads there are; in a separate process it holds another interpreter's. The helper returns the
message with its numeric ``data.tensor.values`` / ``data.ndarray`` already as numpy arrays,
which travel back as one buffer (unpickling them is a copy, not a parse). Anything else in the
message comes back as decoded.

Used only for prediction requests of models without ``predict_raw``/``predict_rest`` (those get
the message exactly as sent).
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import orjson


def decode(body: bytes) -> tuple[bool, Any]:
    """``(True, message)`` with numeric arrays as numpy arrays, or ``(False, error text)``.

    Runs in the helper process; errors are returned as text (exceptions with extra fields do
    not pickle reliably).
    """
    try:
        message = orjson.loads(body)
    except ValueError as exc:
        return False, f"Can't find JSON in data: invalid JSON ({exc})"
    except RecursionError:
        return False, "Can't find JSON in data: the JSON is nested too deeply"
    data = message.get("data") if isinstance(message, dict) else None
    if not isinstance(data, dict):
        return True, message
    tensor = data.get("tensor")
    if isinstance(tensor, dict) and isinstance(tensor.get("values"), list):
        array = _numeric(tensor["values"])
        if array is not None and array.ndim == 1:
            data["tensor"] = {**tensor, "values": array}
    elif isinstance(data.get("ndarray"), list):
        array = _numeric(data["ndarray"])
        if array is not None:
            data["ndarray"] = array
    return True, message


def _numeric(values: list[Any]) -> np.ndarray | None:
    try:
        array = np.array(values)
    except (ValueError, TypeError):  # ragged: the server reports it as it would
        return None
    return array if array.dtype.kind in "biuf" else None


def _ignore_stop_signals() -> None:
    # The server drains on SIGTERM/SIGINT (sent to its whole process group) and then stops
    # this helper itself; dying first would fail the requests still being drained.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Decoder:
    """One helper process (started on first use, with ``spawn``: the server has threads)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        """The helper, started (again, after a crash) when needed."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_ignore_stop_signals)
        return self._pool

    def close(self) -> None:
        """Stop the helper process, if it was started (a crashed one is replaced on next use)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
