"""Flush every metrics writer when the process ends: normal exit, SIGTERM, and fork hygiene.

* ``atexit``: every registered writer is flushed and closed (normal end, ``sys.exit``, an
  uncaught exception, Ctrl-C).
* SIGTERM (how executors stop a trial): installed only when running as a trial, and only from
  the main thread (Python's rule). The handler flushes every writer and then does what would have
  happened without it: it calls the handler that was installed before, ignores the signal if it
  was ignored, or restores the default action and re-sends SIGTERM so the process dies *by the
  signal* (the executor records "stopped", not "failed").
  If the signal lands while this very thread is inside a writer (appending a line, writing the
  buffer out), the handler only records it; the interrupted call finishes and then runs the
  deferred handler — a line is never written twice, lost, nor cut by our own handler.
* ``fork``: a child forgets the parent's buffered lines (the parent writes them) and its flusher
  thread (threads do not survive ``fork``).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import weakref
from types import FrameType
from typing import Any

from ..errors import TrackingError
from . import _writer
from ._writer import MetricsWriter

_writers: weakref.WeakSet[MetricsWriter] = weakref.WeakSet()
_lock = threading.Lock()
_atexit_done = False
_sigterm_installed = False
_previous_handler: Any = signal.SIG_DFL
_deferred: tuple[int, FrameType | None] | None = None


def register(writer: MetricsWriter, *, handle_sigterm: bool) -> None:
    """Flush ``writer`` at exit (and on SIGTERM when ``handle_sigterm``)."""
    global _atexit_done
    with _lock:
        _writers.add(writer)
        if not _atexit_done:
            atexit.register(close_all)
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _atexit_done = True
    if handle_sigterm:
        install_sigterm_handler()


def flush_all() -> None:
    """Flush every registered writer; a failing one is reported on stderr, the others still run."""
    for writer in list(_writers):
        try:
            writer.flush()
        except TrackingError as exc:
            sys.stderr.write(f"mlpipe: {exc}\n")


def close_all() -> None:
    """Flush and close every registered writer (the ``atexit`` hook)."""
    for writer in list(_writers):
        try:
            writer.close()
        except TrackingError as exc:
            sys.stderr.write(f"mlpipe: {exc}\n")


def install_sigterm_handler() -> bool:
    """Install the flushing SIGTERM handler once; False when not on the main thread."""
    global _sigterm_installed, _previous_handler
    if _sigterm_installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    _previous_handler = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _on_sigterm)
    _sigterm_installed = True
    return True


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    global _deferred
    if any(writer.busy_in_this_thread() for writer in list(_writers)):
        _deferred = (signum, frame)
        _writer.deferred = _run_deferred
        return
    _terminate(signum, frame)


def _run_deferred() -> None:
    global _deferred
    pending = _deferred
    if pending is None or threading.current_thread() is not threading.main_thread():
        return
    _deferred = None
    _writer.deferred = None
    _terminate(*pending)


def _terminate(signum: int, frame: FrameType | None) -> None:
    close_all()
    previous = _previous_handler
    if callable(previous):
        previous(signum, frame)
        return
    if previous == signal.SIG_IGN:
        return
    # Default action (or a handler installed from C, which getsignal reports as None):
    # die by the signal so the parent sees -SIGTERM.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _after_fork_in_child() -> None:
    global _deferred
    _deferred = None
    _writer.deferred = None
    for writer in list(_writers):
        writer.after_fork_in_child()
