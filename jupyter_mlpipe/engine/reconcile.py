"""Noticing a dead supervisor and putting its group into a truthful final state.

Called by every command that reads a group. If the group claims to be running but its
supervisor process is gone (killed, machine restarted, out of disk), each experiment still
queued or running is settled (a surviving trial process group is killed first, so nothing runs
unobserved): one whose process had exited keeps that outcome (the exit note of
:meth:`~jupyter_mlpipe.store.Store.mark_exit`), the others are marked stopped with reason
``lost``; a status record that is already final is never rewritten. The group is marked failed
with a message naming ``mlpipe resume`` and the supervisor's last words when it left any.

Reads work on a full volume: what cannot be written is returned repaired all the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..errors import NotFound
from ..proc import pid_alive, terminate_group
from ..store import FAILED, LIVE_STATES, SUCCEEDED, ExperimentStatus, GroupRecord, Store
from ..store.files import tail_lines
from .driver import mark_lost

#: A group created this long ago without a supervisor record has lost its supervisor.
START_GRACE = 60.0
#: The line a stopping supervisor writes to its ``supervisor.log`` to say why.
LAST_WORDS = "mlpipe supervisor stopped: "


def supervisor_alive(group: GroupRecord) -> bool:
    """Whether the group's supervisor runs (or was started moments ago and has not said so)."""
    sup = group.supervisor
    if sup is None:
        return time.time() - max(group.created, group.resumed or 0.0) < START_GRACE
    return pid_alive(sup.pid, sup.create_time)


def exited(store: Store, eid: int, state: ExperimentStatus) -> ExperimentStatus | None:
    """The final state of an experiment whose current attempt's process was seen to exit but
    whose status record could not say so (its supervisor stopped first), else None."""
    code = store.exit_code(eid, state.attempt)
    if code is None:
        return None
    return state.evolve(
        status=SUCCEEDED if code == 0 else FAILED,
        finished=time.time(),
        exit_code=code,
        reason="",
        message="" if code == 0 else f"exited with code {code}",
    )


def last_words(store: Store, group: int) -> str:
    """What the group's supervisor said when it stopped (its log's last such line), or ''."""
    try:
        lines = tail_lines(store.group_dir(group) / "supervisor.log", 50, 16 << 10)
    except OSError:
        return ""
    said = [line[len(LAST_WORDS):].strip() for line in lines if line.startswith(LAST_WORDS)]
    return said[-1] if said else ""


def try_write(write: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Call a store write; False when the volume refused it (full, read-only ...)."""
    try:
        write(*args, **kwargs)
    except OSError:
        return False
    return True


def _settle(store: Store, eid: int, stop_grace: float) -> bool:
    """Settle one experiment of a group whose supervisor died; True if it was interrupted."""
    state = store.read_status(eid)  # fresh: a final record written meanwhile is kept
    if state.status not in LIVE_STATES:
        return False
    if state.pid and pid_alive(state.pid, state.pid_create_time):
        terminate_group(state.pid, stop_grace)
    outcome = exited(store, eid, state)
    if outcome is not None:
        try_write(store.write_status, eid, outcome)
        return False
    why = (
        "interrupted: its supervisor stopped unexpectedly"
        if state.started
        else "not started: its supervisor stopped unexpectedly"
    )
    try_write(mark_lost, store, eid, state, why)
    return True


def reconcile(store: Store, group: GroupRecord, stop_grace: float = 5.0) -> GroupRecord:
    """Return the group's record, first repairing it if its supervisor died.

    Never raises for a volume that refuses writes: the repaired record is returned unsaved.
    """
    if group.status not in ("created", "running"):
        return group
    if supervisor_alive(group):
        return group
    lost = 0
    for eid in store.experiment_ids(group.id):
        try:
            lost += _settle(store, eid, stop_grace)
        except NotFound:
            continue
    fresh = store.read_group(group.id)
    if fresh.status not in ("created", "running"):
        return fresh  # the supervisor finished while we looked
    flag = "" if store.project == "default" else f" -p {store.project}"
    said = last_words(store, group.id)
    record = fresh.evolve(
        status="failed",
        finished=time.time(),
        message=(
            "the supervisor stopped unexpectedly"
            + (f" ({said})" if said else "")
            + f"; {lost} experiment(s) were interrupted —"
            f" run `mlpipe resume {group.id}{flag}` to run what had not started"
        ),
    )
    if try_write(store.write_group, record):
        try_write(store.log_event, group.id, "reconciled", lost=lost)
    return record
