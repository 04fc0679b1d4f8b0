"""Buffered, append-only writer of a trial's ``metrics.jsonl``.

One line per :meth:`MetricsWriter.log` call::

    {"step": 3, "time": 1732831234.5, "values": {"loss": 0.31, "accuracy": 0.9}}

A call formats the line and appends it to an in-memory buffer (a few microseconds). The buffer
is written out

* when it holds ``max_bytes`` (64 KiB by default), by the logging call itself;
* ``max_delay`` seconds (1 s) after its oldest line arrived, by a daemon thread that sleeps
  while the buffer is empty — so a loop that logs once per epoch is still seen live;
* on :meth:`flush` / :meth:`close` (the package flushes every writer at exit and on SIGTERM).

Each write-out is one ``os.write`` of whole lines on an ``O_APPEND`` descriptor, so a reader
never sees lines interleaved or cut in the middle, except the very last line if the process is
killed (SIGKILL) during the write — readers stop before a line without its newline.

Values must be numbers: ``int``, ``float`` or anything ``float()`` accepts that is not a string
or a bool (numpy scalars, 0-d torch tensors, ``Decimal``). Non-finite values (NaN, ±inf — a
diverging run) are recorded as JSON ``null``, keeping the file strict JSON that browsers parse;
readers turn ``null`` back into NaN.
"""

from __future__ import annotations

import json
import math
import operator
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import TrackingError

#: Set by the SIGTERM handler when the signal interrupted this thread inside a writer: run as
#: soon as the interrupted logging call or flush has left the writer (see ``_lifecycle``).
deferred: Callable[[], None] | None = None

_KEYS: dict[str, str] = {}
_MAX_CACHED_KEYS = 10_000


def _key(name: Any) -> str:
    """``"name": `` encoded once per metric name and cached."""
    cached = _KEYS.get(name)
    if cached is not None:
        return cached
    if not isinstance(name, str) or not name:
        raise TrackingError(f"metric names must be non-empty strings, got {name!r}")
    encoded = json.dumps(name) + ": "
    if len(_KEYS) < _MAX_CACHED_KEYS:
        _KEYS[name] = encoded
    return encoded


def _number(name: str, value: Any) -> str:
    """The JSON text of one metric value (``null`` for NaN and ±inf)."""
    kind = type(value)
    if kind is float:
        # x - x is 0.0 exactly for finite x and NaN for NaN/±inf: one subtraction, no call.
        return repr(value) if value - value == 0.0 else "null"
    if kind is int:
        return str(value)
    if kind is bool or isinstance(value, (str, bytes, bytearray)):
        raise TrackingError(
            f"metric {name!r} must be a number, got {kind.__name__} {value!r} "
            "— log float(...) of the quantity you mean"
        )
    try:
        # .item() first: numpy scalars and torch tensors have it, and for a tensor that needs
        # grad (an un-detached loss) it does not warn as float() does.
        item = getattr(value, "item", None)
        number = float(item() if callable(item) else value)
    except (TypeError, ValueError, RuntimeError):
        raise TrackingError(
            f"metric {name!r} must be a number, got {kind.__name__} {value!r:.80} "
            "— log a Python, numpy or 0-d torch scalar (e.g. loss.item())"
        ) from None
    return repr(number) if math.isfinite(number) else "null"


def _step(step: Any) -> str:
    if step is None:
        return "null"
    if type(step) is int:
        return str(step)
    if isinstance(step, bool):
        raise TrackingError(f"step must be an integer or None, got {step!r}")
    try:
        return str(operator.index(step))
    except TypeError:
        raise TrackingError(
            f"step must be an integer or None, got {type(step).__name__} {step!r:.80} "
            "— pass the epoch or batch number"
        ) from None


def encode_line(step: Any, when: float, values: Mapping[str, Any]) -> str:
    """One metrics line (with its newline) for ``values`` at ``step`` and wall time ``when``.

    Raises:
        TrackingError: a value is not a number, a name is empty, or ``step`` is not an integer.
    """
    body = ", ".join([_key(name) + _number(name, value) for name, value in values.items()])
    return '{"step": ' + _step(step) + ', "time": ' + repr(when) + ', "values": {' + body + "}}\n"


class MetricsWriter:
    """Buffered appender of metric lines to one file. Thread-safe; one writer per file.

    ``tracking.log_metrics`` owns one writer that is flushed at exit and on SIGTERM; a writer
    made directly is the caller's to :meth:`close`.

    Args:
        path: the ``metrics.jsonl`` file; its folder is created on the first write.
        max_bytes: buffered characters that trigger a write-out from the logging call.
        max_delay: seconds a line may wait in the buffer before the flusher thread writes it.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, max_bytes: int = 64 * 1024, max_delay: float = 1.0
    ) -> None:
        self.path = os.fspath(path)
        self.max_bytes = max_bytes
        self.max_delay = max_delay
        self._fd: int | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        # Also run in a forked child: the parent owns (and will write) what was buffered.
        self._lock = threading.RLock()
        # True when the calling thread holds the lock (what Condition uses for the same test).
        self._owned: Callable[[], bool] = self._lock._is_owned  # type: ignore[attr-defined]
        self._wake = threading.Condition(self._lock)
        self._parts: list[str] = []
        self._size = 0
        self._flush_at = 0.0
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- hot path -------------------------------------------------------------------------------
    def log(self, step: Any, values: Mapping[str, Any]) -> None:
        """Buffer one line; see :func:`encode_line` for what is accepted.

        Raises:
            TrackingError: a bad value (nothing is buffered then), or a failed write-out.
        """
        line = encode_line(step, time.time(), values)
        with self._lock:
            if not self._parts:
                self._flush_at = time.monotonic() + self.max_delay
                self._wake_flusher()
            self._parts.append(line)
            self._size += len(line)
            if self._size >= self.max_bytes or self._closed:
                self.flush()
        if deferred is not None:
            self._run_deferred()

    def _wake_flusher(self) -> None:
        if self._closed:
            return
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run_flusher, name="mlpipe-metrics-flusher", daemon=True
            )
            self._thread.start()
        else:
            self._wake.notify()

    def _run_flusher(self) -> None:
        with self._lock:
            while not self._closed:
                if not self._parts:
                    self._wake.wait()
                    continue
                delay = self._flush_at - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                try:
                    self.flush()
                except TrackingError as exc:  # nobody to raise to in this thread
                    sys.stderr.write(f"mlpipe: {exc}\n")

    # -- write-out ------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Characters buffered and not yet written."""
        return self._size

    def busy_in_this_thread(self) -> bool:
        """True when this thread is inside the writer (a signal handler interrupted it there)."""
        return self._owned()

    def _run_deferred(self) -> None:
        hook = deferred
        if hook is not None and not self._owned():
            hook()

    def flush(self) -> None:
        """Write every buffered line now, in one append.

        Raises:
            TrackingError: the file could not be opened or written (the batch is dropped).
        """
        with self._lock:
            if not self._parts:
                return
            data = "".join(self._parts).encode("utf-8")
            self._parts = []
            self._size = 0
            self._write(data)
        if deferred is not None:
            self._run_deferred()

    def _write(self, data: bytes) -> None:
        try:
            if self._fd is None:
                os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                self._fd = os.open(self.path, flags, 0o644)
            view = memoryview(data)
            while view:  # regular files take it all at once; loop for the rare short write
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            raise TrackingError(
                f"could not append {len(data)} bytes of metrics to {self.path}: {exc} "
                "— check that the outputs volume is mounted and has space"
            ) from None

    def close(self) -> None:
        """Flush, stop the flusher thread and release the file; later lines are written through."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()
            try:
                self.flush()
            finally:
                fd, self._fd = self._fd, None
                if fd is not None:
                    os.close(fd)
        if deferred is not None:
            self._run_deferred()

    def after_fork_in_child(self) -> None:
        """Forget the parent's buffer and thread; keep appending to the same file."""
        self._reset_state()
