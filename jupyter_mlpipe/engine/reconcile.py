"""Noticing a dead supervisor and putting its group into a truthful final state.

Called by every command that reads a group. If the group claims to be running but its
supervisor process is gone (killed, machine restarted), every queued or running experiment is
marked stopped with reason ``lost`` (a surviving trial process group is killed first, so nothing
runs unobserved), and the group is marked failed with a message naming ``mlpipe resume``.
"""

from __future__ import annotations

import time

from ..proc import pid_alive, terminate_group
from ..store import LIVE_STATES, GroupRecord, Store
from .driver import mark_lost
from .heartbeat import heartbeat_age

#: A group created this long ago without a supervisor record has lost its supervisor.
START_GRACE = 60.0
#: An in-cluster supervisor silent this long is gone (its Job gave up or was deleted).
CLUSTER_GRACE = 600.0


def cluster_supervised(store: Store, group: int) -> bool:
    """Whether ``group`` is driven by a supervisor pod in the cluster."""
    from ..executors.kubernetes_supervisor import CLUSTER_RECORD

    return (store.group_dir(group) / CLUSTER_RECORD).is_file()


def supervisor_alive(group: GroupRecord, store: Store | None = None) -> bool:
    """Whether the group's supervisor runs (or was started moments ago and has not said so).

    A Kubernetes sweep's supervisor runs in its own pod (see ``start_cluster_supervisor``):
    it lives while its heartbeat in the store is fresh, or for :data:`CLUSTER_GRACE` seconds
    after it was asked for (image pulls, a replacement pod after an eviction).
    """
    if store is not None and cluster_supervised(store, group.id):
        age = heartbeat_age(store, group.id)
        since = time.time() - max(group.created, group.resumed or 0.0)
        return (age if age is not None else since) < CLUSTER_GRACE
    sup = group.supervisor
    if sup is None:
        return time.time() - max(group.created, group.resumed or 0.0) < START_GRACE
    return pid_alive(sup.pid, sup.create_time)


def reconcile(store: Store, group: GroupRecord, stop_grace: float = 5.0) -> GroupRecord:
    """Return the group's record, first repairing it if its supervisor died."""
    if group.status not in ("created", "running"):
        return group
    if supervisor_alive(group, store):
        return group
    lost = 0
    for rec in store.experiments(group.id):
        state = rec.state
        if state.status not in LIVE_STATES:
            continue
        if state.pid and pid_alive(state.pid, state.pid_create_time):
            terminate_group(state.pid, stop_grace)
        why = (
            "interrupted: its supervisor stopped unexpectedly"
            if state.started
            else "not started: its supervisor stopped unexpectedly"
        )
        mark_lost(store, rec.id, state, why)
        lost += 1
    fresh = store.read_group(group.id)
    if fresh.status not in ("created", "running"):
        return fresh  # the supervisor finished while we looked
    flag = "" if store.project == "default" else f" -p {store.project}"
    record = fresh.evolve(
        status="failed",
        finished=time.time(),
        message=(
            f"the supervisor stopped unexpectedly; {lost} experiment(s) were interrupted —"
            f" run `mlpipe resume {group.id}{flag}` to run what had not started"
        ),
    )
    store.write_group(record)
    store.log_event(group.id, "reconciled", lost=lost)
    return record
