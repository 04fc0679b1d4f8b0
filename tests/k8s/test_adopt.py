"""A new supervisor adopts the trial Jobs an earlier one created: same Job, same indexes."""

from __future__ import annotations

import time
from pathlib import Path

from jupyter_mlpipe.engine.driver import Driver, mark_lost
from jupyter_mlpipe.executors.base import TrialLaunch
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store import GroupRecord, Store

from .contract_kit import make_executor
from .double import KubeDouble, Outcome
from .test_executor import SPEC


def _group(tmp_path: Path, n: int) -> tuple[Store, GroupRecord, list[int]]:
    store = Store(tmp_path / "outputs", "tester", "proj")
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project="proj", user="tester", name="g", created=time.time(),
        spec_file="sweep.yml", project_dir=str(tmp_path), algorithm="grid",
        backend="kubernetes", concurrency=2, planned=n), SPEC)
    return store, group, store.create_experiments(group.id, [{"lr": i} for i in range(n)])


def test_lost_experiments_resume_in_their_running_indexed_job(tmp_path: Path) -> None:
    store, group, ids = _group(tmp_path, 3)
    with KubeDouble(namespace="team") as kd:
        kd.default_outcome = Outcome(hold=0.5)
        first = make_executor(kd, store, image=None)
        first.start(group, [TrialLaunch(experiment=e, attempt=1, argv=("python", "t.py"),
                                        params={"lr": 0.1}) for e in ids], 2)
        seen = []
        while not any(u.status == "running" for u in seen):
            seen += first.poll(0.2)
        first.close()  # its supervisor dies; the Indexed Job runs on
        for eid in ids:  # what reconcile records when it notices
            mark_lost(store, eid, store.read_status(eid), "interrupted: supervisor gone")
        second = make_executor(kd, store, image=None)
        try:
            final = Driver(store, group.id, Settings.load(), second, tick=0.1).run()
        finally:
            second.close()
        assert kd.calls("POST", "jobs") == 1  # no new Job: the lost indexes were adopted
        assert len(kd.objects("pods")) == 3  # one pod per index, none started twice
    assert final.status == "succeeded", final.message
    assert [s.status for s in store.statuses(group.id)] == ["succeeded"] * 3
    assert any(e["event"] == "adopted" and e["experiments"] == ids
               for e in store.events(group.id))


def test_experiments_whose_job_is_gone_are_not_adopted(tmp_path: Path) -> None:
    store, group, (eid,) = _group(tmp_path, 1)
    with KubeDouble(namespace="team") as kd:
        ex = make_executor(kd, store, image=None)
        try:
            assert ex.adopt(group, [eid]) == set()
        finally:
            ex.close()
