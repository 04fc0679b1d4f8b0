"""The driver against a scripted executor: scheduling decisions without timing luck."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from jupyter_mlpipe.engine.driver import Driver
from jupyter_mlpipe.executors.base import Executor, TrialLaunch, TrialUpdate
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store import GroupRecord, Store

SPEC = """version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    x: {values: [1, 2, 3, 4, 5]}
run:
  cmd: python trial.py {{ x }}
"""


class BatchExecutor(Executor):
    """Starts everything it may at once, and ends every running trial in the same poll."""

    name = "scripted"

    def __init__(self) -> None:
        self.queue: list[TrialLaunch] = []
        self.running: list[int] = []
        self.limit = 1
        self.peak = 0
        self.started: list[int] = []

    def start(self, group: GroupRecord, launches: Sequence[TrialLaunch], parallelism: int) -> None:
        self.limit = parallelism
        self.queue.extend(launches)

    def poll(self, timeout: float = 0.0) -> list[TrialUpdate]:
        updates = [TrialUpdate(e, "succeeded", exit_code=0) for e in self.running]
        self.running = []
        while self.queue and len(self.running) < self.limit:
            launch = self.queue.pop(0)
            self.running.append(launch.experiment)
            self.started.append(launch.experiment)
            updates.append(TrialUpdate(launch.experiment, "running", pid=None))
        self.peak = max(self.peak, len(self.running))
        return updates

    def stop(self, experiments: Sequence[int] | None = None) -> None:
        pass

    def logs(self, experiment: int, follow: bool = False) -> Iterator[str]:
        return iter(())

    def active(self) -> int:
        return len(self.queue) + len(self.running)


def test_trials_ending_together_never_end_the_group_early(tmp_path: Path) -> None:
    store = Store(tmp_path, "u", "p")
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project="p", user="u", name="g", created=time.time(), spec_file="s.yml",
        project_dir=str(tmp_path), algorithm="grid", backend="local", concurrency=2,
        planned=5), SPEC)
    executor = BatchExecutor()
    final = Driver(store, group.id, Settings.load(), executor, tick=0).run()
    states = [r.status for r in store.experiments(group.id)]
    assert final.status == "succeeded", final.message
    assert states == ["succeeded"] * 5
    assert sorted(r.params["x"] for r in store.experiments(group.id)) == [1, 2, 3, 4, 5]
    assert executor.peak <= 2 and len(executor.started) == 5
