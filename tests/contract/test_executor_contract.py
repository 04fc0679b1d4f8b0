"""The executor contract: what the sweep driver relies on, checked for every executor."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.executors.base import TrialLaunch, TrialUpdate
from jupyter_mlpipe.store import FINAL_STATES, GroupRecord, Store

pytestmark = pytest.mark.integration


def _group(store: Store, n: int, tmp_path: Path) -> tuple[GroupRecord, list[int]]:
    record = store.create_group(
        lambda gid: GroupRecord(
            id=gid,
            project=store.project,
            user=store.user,
            name="contract",
            created=time.time(),
            spec_file="contract.yml",
            project_dir=str(tmp_path),
            algorithm="grid",
            backend="local",
            concurrency=2,
            planned=n,
        ),
        "version: 1\n",
    )
    return record, store.create_experiments(record.id, [{"i": i} for i in range(n)])


def _launch(eid: int, code: str, tmp_path: Path, timeout: float | None = None) -> TrialLaunch:
    return TrialLaunch(
        experiment=eid,
        attempt=1,
        argv=(sys.executable, "-c", code),
        env={"MLPIPE_TRIAL_OUTPUTS_PATH": "x"},
        cwd=str(tmp_path),
        params={},
        timeout=timeout,
    )


def _drain(
    executor: Any, until: Callable[[list[TrialUpdate]], bool], limit: float = 120.0
) -> list[TrialUpdate]:
    seen: list[TrialUpdate] = []
    deadline = time.monotonic() + limit  # a safety net against hangs, not a speed assertion
    while time.monotonic() < deadline:
        seen.extend(executor.poll(0.2))
        if until(seen):
            return seen
    raise AssertionError(f"executor did not get there; updates so far: {seen}")


def _finals(updates: list[TrialUpdate]) -> dict[int, TrialUpdate]:
    return {u.experiment: u for u in updates if u.status in FINAL_STATES}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "outputs", "tester", "contract")


def test_runs_each_launch_once_and_reports_exit(
    make_executor: Any, store: Store, tmp_path: Path
) -> None:
    group, ids = _group(store, 3, tmp_path)
    executor = make_executor(store)
    codes = {ids[0]: 0, ids[1]: 3, ids[2]: 0}
    executor.start(
        group,
        [
            _launch(e, f"print('trial {e}'); raise SystemExit({c})", tmp_path)
            for e, c in codes.items()
        ],
        parallelism=2,
    )
    updates = _drain(executor, lambda u: len(_finals(u)) == 3)
    finals = _finals(updates)
    assert {e: u.status for e, u in finals.items()} == {
        ids[0]: "succeeded",
        ids[1]: "failed",
        ids[2]: "succeeded",
    }
    assert finals[ids[1]].exit_code == 3
    assert [u.status for u in updates].count("running") == 3
    assert executor.active() == 0
    lines = "".join(executor.logs(ids[0]))
    assert f"trial {ids[0]}" in lines


def test_respects_parallelism(make_executor: Any, store: Store, tmp_path: Path) -> None:
    group, ids = _group(store, 4, tmp_path)
    executor = make_executor(store)
    executor.start(
        group, [_launch(e, "import time; time.sleep(0.5)", tmp_path) for e in ids], parallelism=2
    )
    running: set[int] = set()
    peak = 0
    updates: list[TrialUpdate] = []
    deadline = time.monotonic() + 120
    while len(_finals(updates)) < 4 and time.monotonic() < deadline:
        batch = executor.poll(0.1)
        updates.extend(batch)
        for u in batch:
            if u.status == "running":
                running.add(u.experiment)
            elif u.status in FINAL_STATES:
                running.discard(u.experiment)
        peak = max(peak, len(running))
    assert len(_finals(updates)) == 4
    assert peak <= 2


def test_stop_ends_running_and_queued(make_executor: Any, store: Store, tmp_path: Path) -> None:
    group, ids = _group(store, 3, tmp_path)
    executor = make_executor(store)
    executor.start(
        group, [_launch(e, "import time; time.sleep(300)", tmp_path) for e in ids], parallelism=1
    )
    _drain(executor, lambda u: any(x.status == "running" for x in u))
    executor.stop(None)
    finals = _finals(_drain(executor, lambda u: len(_finals(u)) == 3))
    assert {u.status for u in finals.values()} == {"stopped"}
    assert executor.active() == 0


def test_stop_one_leaves_the_others(make_executor: Any, store: Store, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path)
    executor = make_executor(store)
    executor.start(
        group,
        [
            _launch(ids[0], "import time; time.sleep(300)", tmp_path),
            _launch(ids[1], "import time; time.sleep(1)", tmp_path),
        ],
        parallelism=2,
    )
    _drain(executor, lambda u: sum(x.status == "running" for x in u) == 2)
    executor.stop([ids[0]])
    finals = _finals(_drain(executor, lambda u: len(_finals(u)) == 2))
    assert finals[ids[0]].status == "stopped"
    assert finals[ids[1]].status == "succeeded"


def test_timeout_marks_timed_out(make_executor: Any, store: Store, tmp_path: Path) -> None:
    group, ids = _group(store, 1, tmp_path)
    executor = make_executor(store)
    executor.start(
        group,
        [_launch(ids[0], "import time; time.sleep(300)", tmp_path, timeout=1.0)],
        parallelism=1,
    )
    finals = _finals(_drain(executor, lambda u: len(_finals(u)) == 1))
    assert finals[ids[0]].status == "timed-out"
