"""How a supervisor that runs in another pod proves it lives: a heartbeat file in the store.

A pid means nothing across pods, so an in-cluster supervisor (``--in-cluster``) touches
``supervisor.heartbeat`` in its group folder every :data:`BEAT_EVERY` seconds; readers in any
pod judge it by the file's age (:func:`heartbeat_age`, used by ``engine.reconcile``).
"""

from __future__ import annotations

import threading
import time

from ..store import Store

HEARTBEAT = "supervisor.heartbeat"
BEAT_EVERY = 5.0


class PodGoingAway(BaseException):
    """SIGTERM to an in-cluster supervisor: exit, leave the trials running (a replacement pod
    resumes). A BaseException so no ``except Exception`` on the way swallows it."""


def heartbeat_age(store: Store, group_id: int) -> float | None:
    """Seconds since the group's supervisor last proved it lives (None: it never did)."""
    try:
        return time.time() - (store.group_dir(group_id) / HEARTBEAT).stat().st_mtime
    except OSError:
        return None


def beat(store: Store, group_id: int, stop: threading.Event) -> None:
    """Touch the heartbeat now and every :data:`BEAT_EVERY` seconds until ``stop`` is set
    (a full or unreachable volume skips a beat rather than ending the thread)."""
    path = store.group_dir(group_id) / HEARTBEAT
    while True:
        try:
            path.touch()
        except OSError:
            pass
        if stop.wait(BEAT_EVERY):
            return
