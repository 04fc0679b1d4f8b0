"""The detached supervisor of one group: ``python -m jupyter_mlpipe.engine.supervisor``.

It outlives the command or kernel that started the sweep: it records itself in the group
record, drives the group to completion with :class:`~.driver.Driver`, and exits. SIGTERM or
SIGINT to the supervisor is a request to stop the group gracefully.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from ..proc import process_create_time
from ..settings import Settings
from ..store import FAILED, Store, Supervisor


def make_executor(backend: str, store: Store, settings: Settings) -> Any:
    """The executor for a group's backend."""
    if backend == "kubernetes":
        from ..executors.kubernetes import KubernetesExecutor

        return KubernetesExecutor.from_settings(store, settings)
    from ..executors.local import LocalExecutor

    return LocalExecutor(store, stop_grace=settings.stop_grace,
                         log_max_bytes=settings.log_max_bytes)


def supervise(store: Store, group_id: int, settings: Settings) -> int:
    """Drive the group; return the process exit code (0 when the group succeeded)."""
    from .driver import Driver

    record = store.read_group(group_id)
    me = Supervisor(
        pid=os.getpid(),
        create_time=process_create_time(os.getpid()) or time.time(),
        host=socket.gethostname(),
        started=time.time(),
    )
    store.write_group(record.evolve(status="running", supervisor=me, finished=None, message=""))
    store.log_event(group_id, "supervisor-started", pid=me.pid)

    def request_stop(signum: int, frame: Any) -> None:
        store.request_stop(group_id)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    executor = None
    try:
        executor = make_executor(record.backend, store, settings)
        final = Driver(store, group_id, settings, executor).run()
    except Exception as exc:  # record why, so no caller waits on a dead group forever
        traceback.print_exc()
        if executor is not None:
            executor.stop(None)
        _fail(store, group_id, f"supervisor error: {exc}")
        return 1
    finally:
        if executor is not None:
            executor.close()
    return 0 if final.status == "succeeded" else 1


def _fail(store: Store, group_id: int, message: str) -> None:
    """End a group the supervisor cannot drive: nothing may stay queued or running."""
    now = time.time()
    for rec in store.experiments(group_id):
        if not rec.state.is_final:
            store.write_status(rec.id, rec.state.evolve(status=FAILED, finished=now,
                                                         message=message))
    failed = store.read_group(group_id).evolve(status="failed", finished=now, message=message)
    store.write_group(failed)
    store.log_event(group_id, "supervisor-error", message=message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jupyter_mlpipe.engine.supervisor")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--user", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--group", required=True, type=int)
    args = parser.parse_args(argv)
    settings = Settings.load(overrides={"outputs_root": str(args.root), "user": args.user})
    store = Store(args.root, args.user, args.project)
    return supervise(store, args.group, settings)


if __name__ == "__main__":
    sys.exit(main())
