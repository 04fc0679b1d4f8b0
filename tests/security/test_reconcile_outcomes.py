"""Reconciling a group whose supervisor died never rewrites a finished experiment's outcome."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest

from jupyter_mlpipe.engine import supervisor
from jupyter_mlpipe.engine.reconcile import LAST_WORDS, reconcile
from jupyter_mlpipe.store import Store, Supervisor
from jupyter_mlpipe.store.records import ExperimentStatus, GroupRecord


def _group(tmp_path: Path) -> tuple[Store, GroupRecord, list[int]]:
    store = Store(tmp_path, "u", "p")
    now = time.time()
    dead = Supervisor(pid=os.getpid(), create_time=1.0, host="h", started=now)  # not us: 1970
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project="p", user="u", name="g", created=now, spec_file="",
        project_dir=str(tmp_path), algorithm="grid", backend="local", concurrency=4,
        planned=4, status="running", supervisor=dead), "")
    ids = store.create_experiments(group.id, [{"x": i} for i in range(4)])
    return store, group, ids


def test_final_records_and_exit_notes_win_over_interrupted(tmp_path: Path) -> None:
    store, group, (done, exited_ok, exited_bad, running) = _group(tmp_path)
    now = time.time()
    final = ExperimentStatus(status="succeeded", attempt=1, started=now, finished=now,
                             exit_code=0)
    store.write_status(done, final)
    for eid in (exited_ok, exited_bad, running):
        store.write_status(eid, ExperimentStatus(status="running", attempt=2, started=now))
    store.mark_exit(exited_ok, 2, 0)  # what a supervisor on a full disk could still note
    store.mark_exit(exited_bad, 2, -9)
    store.mark_exit(running, 1, 0)  # an earlier attempt's note says nothing of attempt 2
    (store.group_dir(group.id) / "supervisor.log").write_text(
        f"Traceback ...\n{LAST_WORDS}supervisor error: [Errno 28] No space left on device\n")

    record = reconcile(store, group)

    assert store.read_status(done) == final
    ok = store.read_status(exited_ok)
    assert (ok.status, ok.exit_code, ok.reason) == ("succeeded", 0, "")
    bad = store.read_status(exited_bad)
    assert (bad.status, bad.exit_code) == ("failed", -9)
    lost = store.read_status(running)
    assert (lost.status, lost.reason) == ("stopped", "lost")
    assert record.status == "failed"
    assert "No space left on device" in record.message and "1 experiment(s)" in record.message
    assert store.read_group(group.id) == record


def test_exit_notes_ignore_foreign_names(tmp_path: Path) -> None:
    store, _, (eid, *_) = _group(tmp_path)
    folder = store.experiment_dir(eid)
    for name in (".exit-1-", ".exit-1-x", ".exit-1-²", ".exit-1-0\n"):
        (folder / name).touch()
    assert store.exit_code(eid, 1) is None
    store.mark_exit(eid, 1, 3)
    assert store.exit_code(eid, 1) == 3


class _FullStore(Store):
    """A store on a volume that refuses every write (what a full disk does to the records)."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    write_status = write_group = log_event = _refuse  # type: ignore[assignment]


def test_a_refusing_volume_neither_kills_the_failure_path_nor_the_readers(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    store, group, (finished, *_) = _group(tmp_path)
    now = time.time()
    for eid in store.experiment_ids(group.id):
        store.write_status(eid, ExperimentStatus(status="running", attempt=1, started=now))
    store.mark_exit(finished, 1, 0)
    full = _FullStore(tmp_path, "u", "p")

    supervisor._fail(full, group.id, "supervisor error: [Errno 28] No space left on device")
    assert "could not record the group's end (6 write(s) refused)" in capfd.readouterr().err

    record = reconcile(full, group)  # reads work: the repaired record comes back unsaved
    assert record.status == "failed" and "3 experiment(s) were interrupted" in record.message
    assert store.read_group(group.id).status == "running"
    reconcile(store, store.read_group(group.id))  # once space is back, it is saved
    assert store.read_status(finished).status == "succeeded"
    assert store.read_group(group.id).status == "failed"
