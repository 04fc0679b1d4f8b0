"""The dashboard's two threads: one pump that writes widgets, one worker that runs clicks.

Widgets have exactly one writer — the :class:`Pump` thread — so no two threads ever interleave
updates of the same widget. Button clicks arrive on the kernel's thread; they only put a job on
the :class:`Worker`'s queue and return. The worker runs jobs one at a time (package, build,
deploy, predict, stop …) and hands each result back as a callable that the pump applies on its
next tick.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Apply = Callable[[], None]


class Worker:
    """Runs jobs off the kernel's thread; results come back through :meth:`drain_results`."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[tuple[str, Callable[[], Apply | None]] | None] = queue.Queue()
        self.results: queue.Queue[Apply] = queue.Queue()
        self.busy = threading.Event()
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self._idle = threading.Condition(self.lock)

    def submit(self, name: str, job: Callable[[], Apply | None]) -> None:
        """Queue ``job``; it returns a callable that updates widgets (run by the pump), or None."""
        with self.lock:
            self.busy.set()
            self.jobs.put((name, job))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mlpipe-worker", daemon=True)
                self._thread.start()

    def run_pending(self) -> int:
        """Run queued jobs on the calling thread (no worker thread); return how many ran."""
        ran = 0
        while True:
            try:
                item = self.jobs.get_nowait()
            except queue.Empty:
                break
            if item is None:
                break
            self._one(item[1])
            ran += 1
        self._idle_check()
        return ran

    def _run(self) -> None:
        while True:
            item = self.jobs.get()
            if item is None:
                return
            self._one(item[1])
            self._idle_check()

    def _one(self, job: Callable[[], Apply | None]) -> None:
        apply = job()  # jobs catch their own errors and turn them into an update
        if apply is not None:
            self.results.put(apply)

    def _idle_check(self) -> None:
        with self.lock:
            if self.jobs.empty():
                self.busy.clear()
                self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued job has run; True unless ``timeout`` expired first."""
        with self.lock:
            return self._idle.wait_for(lambda: not self.busy.is_set(), timeout)

    def drain_results(self) -> list[Apply]:
        out = []
        while True:
            try:
                out.append(self.results.get_nowait())
            except queue.Empty:
                return out

    @property
    def idle(self) -> bool:
        return not self.busy.is_set() and self.results.empty()

    def close(self, timeout: float = 5.0) -> None:
        """Finish the current job, drop the queued ones, end the thread."""
        while True:
            try:
                self.jobs.get_nowait()
            except queue.Empty:
                break
        self.jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        with self.lock:
            self.busy.clear()
            self._idle.notify_all()


class Pump:
    """Calls ``tick()`` every ``interval`` seconds on one thread until it returns False.

    Args:
        tick: one refresh; returns True to keep going, False when there is nothing left to
            follow (the group finished and no job is pending).
        interval: seconds between ticks.
        on_error: called with an exception ``tick`` raised; the pump then stops.
    """

    def __init__(
        self, tick: Callable[[], bool], interval: float, on_error: Callable[[BaseException], None]
    ) -> None:
        self.tick = tick
        self.interval = interval
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread unless it runs already (restarts a pump that had stopped)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="mlpipe-pump", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.tick():
                    return
                self._stop.wait(self.interval)
        except Exception as exc:  # shown in the widget by on_error; the pump must not vanish
            self.on_error(exc)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the thread and wait; True when it has ended."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def join(self, timeout: float | None = None) -> bool:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True


def describe(exc: BaseException) -> str:
    """A one-line message for an error shown in the widget."""
    from ..errors import MlpipeError

    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, MlpipeError) else f"{type(exc).__name__}: {text}"


__all__ = ["Apply", "Pump", "Worker", "describe"]
