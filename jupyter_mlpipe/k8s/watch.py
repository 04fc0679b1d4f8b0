"""List + watch, the way Kubernetes clients stay in sync without polling.

List once, then watch from the list's ``resourceVersion``; every event moves the version on.
When the server ends a watch (its timeout), watch again from the last version. When the version
is too old (HTTP 410 Gone) list again and resume from the new list. Transient failures back off
and retry; watching is a read, so repeating it is safe.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import KubernetesError
from .client import GONE, Kind, KubeClient

log = logging.getLogger(__name__)

#: ``SYNC`` marks objects delivered from a (re)list rather than a watch event.
SYNC = "SYNC"
Event = tuple[str, dict[str, Any]]


def events(client: KubeClient, kind: Kind, selector: str = "", fields: str = "",
           stop: threading.Event | None = None, timeout: int = 60,
           deadline: float | None = None) -> Iterator[Event]:
    """Every object as ``(SYNC, obj)`` from a list, then watch events, until ``stop`` is set or
    the monotonic ``deadline`` passes; each watch request lasts at most ``timeout`` s.

    Raises:
        KubernetesError: a failure that is not transient (403, 404 ...).
    """
    stop = stop or threading.Event()
    version = ""
    delay = 0.2
    while not stop.is_set():
        left = timeout if deadline is None else math.ceil(deadline - time.monotonic())
        if left <= 0:
            return
        try:
            if not version:
                items, version = client.list(kind, selector, fields)
                for item in items:
                    yield SYNC, item
            for etype, obj in client.watch(kind, selector, version, min(timeout, left), fields):
                version = obj.get("metadata", {}).get("resourceVersion") or version
                yield etype, obj
                if stop.is_set():
                    return
            delay = 0.2
        except KubernetesError as exc:
            if exc.status == GONE:
                log.debug("watch of %s expired (410); listing again", kind.plural)
                version = ""
                continue
            if exc.status is not None and exc.status < 500 and exc.status != 429:
                raise
            log.warning("watch of %s interrupted (%s); retrying", kind.plural, exc)
            stop.wait(delay)
            delay = min(delay * 2, 10.0)


class Watcher:
    """Runs :func:`events` in a daemon thread and hands each event to ``sink``.

    A non-transient failure is handed to ``on_error`` and ends the thread.
    """

    def __init__(self, client: KubeClient, kind: Kind, selector: str,
                 sink: Callable[[str, dict[str, Any]], None],
                 on_error: Callable[[Exception], None], timeout: int = 60) -> None:
        self.client, self.kind, self.selector = client, kind, selector
        self.sink, self.on_error, self.timeout = sink, on_error, timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"mlpipe-watch-{kind.plural}")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            for etype, obj in events(self.client, self.kind, self.selector, stop=self._stop,
                                     timeout=self.timeout):
                self.sink(etype, obj)
        except Exception as exc:  # handed to the owner, who raises it in its own thread
            self.on_error(exc)

    def stop(self, wait: float = 5.0) -> None:
        """Ask the thread to end; it does at the next event or when the client closes its
        streams (:meth:`KubeClient.close`), whichever is first."""
        self._stop.set()

    def join(self, wait: float = 5.0) -> None:
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)


def wait_for(client: KubeClient, kind: Kind, name: str, done: Callable[[dict[str, Any]], bool],
             timeout: float, on_event: Callable[[dict[str, Any]], None] | None = None
             ) -> dict[str, Any] | None:
    """Watch object ``name`` until ``done(obj)``; return it, or None after ``timeout`` s.

    Raises:
        KubernetesError: the object was deleted meanwhile, or the API refused the watch.
    """
    deadline = time.monotonic() + timeout
    for etype, obj in events(client, kind, fields=f"metadata.name={name}", timeout=30,
                             deadline=deadline):
        if etype == "DELETED":
            raise KubernetesError(f"{kind.kind} {name} was deleted while waiting for it"
                                  " — someone removed it; run the command again", status=404)
        if on_event is not None:
            on_event(obj)
        if done(obj):
            return obj
        if time.monotonic() >= deadline:
            break
    return None
