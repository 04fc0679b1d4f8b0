"""The detached supervisor of one group: ``python -m jupyter_mlpipe.engine.supervisor``.

It outlives the command or kernel that started the sweep: it records itself in the group
record, drives the group to completion with :class:`~.driver.Driver`, and exits. SIGTERM or
SIGINT to the supervisor is a request to stop the group gracefully.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
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
from .driver import note_exit
from .reconcile import LAST_WORDS, exited, try_write

_FALLOC_FL_KEEP_SIZE = 1


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
        reason = f"supervisor error: {exc}"
        say(f"{LAST_WORDS}{reason}")
        with contextlib.suppress(OSError):
            traceback.print_exc()
        if executor is not None:
            _stop_and_note_exits(store, executor)
        _fail(store, group_id, reason)
        return 1
    finally:
        if executor is not None:
            executor.close()
    return 0 if final.status == "succeeded" else 1


def say(line: str) -> None:
    """Write one line to stderr (the group's ``supervisor.log``) unbuffered, ignoring a full
    disk: the space reserved by :func:`reserve_log_space` usually takes it."""
    with contextlib.suppress(OSError):
        os.write(2, (line.rstrip("\n") + "\n").encode("utf-8", "replace"))


def reserve_log_space(nbytes: int = 64 << 10) -> None:
    """Allocate ``nbytes`` past the end of stderr's file without growing it (Linux
    ``fallocate(FALLOC_FL_KEEP_SIZE)``), so the supervisor's last words fit on a volume that
    fills up later. Best effort: nothing happens where the call or the file system lacks it."""
    try:
        offset = os.fstat(2).st_size
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.fallocate(2, _FALLOC_FL_KEEP_SIZE, ctypes.c_int64(offset), ctypes.c_int64(nbytes))
    except (OSError, AttributeError, TypeError):
        pass


def _stop_and_note_exits(store: Store, executor: Any) -> None:
    """Stop every trial and note the exit codes seen (a trial that had already finished keeps
    its outcome even if no status record can be written)."""
    try:
        executor.stop(None)
        updates = executor.poll(0.0)
    except Exception as exc:  # the executor itself may be what failed
        say(f"could not stop the trials cleanly: {exc}")
        return
    for update in updates:
        if update.exit_code is not None:
            with contextlib.suppress(Exception):
                note_exit(store, update.experiment, store.read_status(update.experiment).attempt,
                          update.exit_code)


def _fail(store: Store, group_id: int, message: str) -> None:
    """End a group the supervisor cannot drive: nothing may stay queued or running.

    Each write is attempted on its own; what the volume refuses is said on stderr, and the next
    reader reconciles the group from the exit notes and these last words.
    """
    now = time.time()
    refused = 0
    for rec in store.experiments(group_id):
        if rec.state.is_final:
            continue
        outcome = exited(store, rec.id, rec.state) or rec.state.evolve(
            status=FAILED, finished=now, message=message)
        refused += not try_write(store.write_status, rec.id, outcome)
    failed = store.read_group(group_id).evolve(status="failed", finished=now, message=message)
    refused += not try_write(store.write_group, failed)
    refused += not try_write(store.log_event, group_id, "supervisor-error", message=message)
    if refused:
        say(f"could not record the group's end ({refused} write(s) refused); the next command"
            " that reads the group settles it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jupyter_mlpipe.engine.supervisor")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--user", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--group", required=True, type=int)
    args = parser.parse_args(argv)
    reserve_log_space()
    settings = Settings.load(overrides={"outputs_root": str(args.root), "user": args.user})
    store = Store(args.root, args.user, args.project)
    try:
        return supervise(store, args.group, settings)
    except Exception as exc:  # failed before driving (e.g. its first write on a full volume)
        say(f"{LAST_WORDS}supervisor error before the group started: {exc}")
        raise


if __name__ == "__main__":
    sys.exit(main())
