"""The Kubernetes executor end to end through the official client and the API double."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_mlpipe.executors.base import TrialLaunch, TrialUpdate
from jupyter_mlpipe.executors.kubernetes import KubernetesExecutor, render_sweep
from jupyter_mlpipe.k8s.trial_entry import load_entry
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store import FINAL_STATES, GroupRecord, Store

from .contract_kit import make_executor
from .double import KubeDouble, Outcome
from .schemas import validate_core

SPEC = """\
version: 1
kind: group
hptuning:
  concurrency: 2
  grid_search:
    n_experiments: 3
  matrix:
    lr:
      values: [0.1, 0.2, 0.3]
build:
  image: registry.local/trainer:1
  build_steps:
    - pip install --no-cache-dir torchvision
  env_vars:
    - [EXTRA, "1"]
environment:
  resources:
    cpu: {requests: 1, limits: 2}
    gpu: {requests: 1}
  node_selector: {pool: gpu}
run:
  cmd: python train.py --lr={{ lr }}
"""


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "outputs", "tester", "proj")


def _group(store: Store, n: int, tmp_path: Path, algorithm: str = "grid", retries: int = 0,
           spec: str = SPEC) -> tuple[GroupRecord, list[int]]:
    record = store.create_group(lambda gid: GroupRecord(
        id=gid, project=store.project, user=store.user, name="g", created=time.time(),
        spec_file="sweep.yml", project_dir=str(tmp_path), algorithm=algorithm,
        backend="kubernetes", concurrency=2, planned=n, max_retries=retries), spec)
    return record, store.create_experiments(record.id, [{"lr": i} for i in range(n)])


def _launch(eid: int, attempt: int = 1) -> TrialLaunch:
    return TrialLaunch(experiment=eid, attempt=attempt, argv=("python", "train.py", "--lr=1"),
                       env={"MLPIPE_TRIAL_PARAMS": "{}", "PATH": "/host/venv/bin"},
                       cwd="/repos/proj", params={"lr": 1})


def _drain(ex: KubernetesExecutor, until: Callable[[list[TrialUpdate]], bool]
           ) -> list[TrialUpdate]:
    seen: list[TrialUpdate] = []
    deadline = time.monotonic() + 60  # a safety net against hangs, not a speed assertion
    while time.monotonic() < deadline:
        seen += ex.poll(0.2)
        if until(seen):
            return seen
    raise AssertionError(f"no progress: {seen}")


def _finals(updates: list[TrialUpdate]) -> dict[int, TrialUpdate]:
    return {u.experiment: u for u in updates if u.status in FINAL_STATES}


@pytest.fixture
def kd() -> Iterator[KubeDouble]:
    with KubeDouble(namespace="team") as double:
        yield double


@pytest.fixture
def executor(kd: KubeDouble, store: Store) -> Iterator[KubernetesExecutor]:
    ex = make_executor(kd, store, image=None)
    yield ex
    ex.close()


def test_grid_group_is_one_indexed_job_and_its_configmap(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 3, tmp_path)
    executor.start(group, [_launch(e) for e in ids], parallelism=2)
    assert executor.active() == 0  # the plan is handed over before the first poll
    finals = _finals(_drain(executor, lambda u: len(_finals(u)) == 3))
    assert {u.status for u in finals.values()} == {"succeeded"}
    (job,), (cm,) = kd.objects("jobs"), kd.objects("configmaps")
    assert kd.calls("POST") == 2 and kd.calls("PATCH") == 1  # Job, ConfigMap, unsuspend
    assert job["spec"]["completions"] == 3 and job["spec"]["parallelism"] == 2
    assert job["spec"]["suspend"] is False
    assert job["status"]["completedIndexes"] == "0-2"
    owner = cm["metadata"]["ownerReferences"][0]
    assert owner["uid"] == job["metadata"]["uid"] and owner["kind"] == "Job"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.local/trainer:1"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    for key, text in cm["data"].items():
        (tmp_path / key).write_text(text)
    entry = load_entry(tmp_path, "1")  # as the pod reads it
    assert entry["experiment"] == ids[1] and entry["build_steps"] == [
        "pip install --no-cache-dir torchvision"]
    assert entry["env"]["EXTRA"] == "1" and "PATH" not in entry["env"]
    assert entry["outputs_path"] == str(store.experiment_dir(ids[1]))
    assert kd.calls("GET", "pods", watch=True) >= 1  # a watch, not a polling loop
    assert kd.calls("GET", "jobs") == 0


def test_per_index_retry_is_adopted_not_resubmitted(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path, retries=1)
    kd.outcomes[("mlpipe-proj", 0)] = [Outcome(exit_code=3), Outcome(exit_code=0)]
    executor.start(group, [_launch(e) for e in ids], parallelism=2)
    seen = _drain(executor, lambda u: any(x.status == "failed" for x in u))
    failed = next(u for u in seen if u.status == "failed")
    assert (failed.experiment, failed.exit_code) == (ids[0], 3)
    assert "exited with code 3" in failed.message
    executor.start(group, [_launch(ids[0], attempt=2)], parallelism=2)  # the driver's retry
    seen += _drain(executor, lambda u: len(_finals(seen + u)) == 2
                   and _finals(seen + u)[ids[0]].status == "succeeded")
    assert [u.status for u in seen if u.experiment == ids[0]] == [
        "running", "failed", "running", "succeeded"]
    assert len(kd.objects("jobs")) == 1 and kd.calls("POST", "jobs") == 1
    assert len(kd.objects("pods")) == 3


def test_exhausted_retries_fail_the_index(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path, retries=1)
    kd.outcomes[("mlpipe-proj", 1)] = [Outcome(exit_code=2), Outcome(exit_code=2)]
    executor.start(group, [_launch(e) for e in ids], parallelism=1)
    seen = _drain(executor, lambda u: [x.status for x in u if x.experiment == ids[1]]
                  == ["running", "failed"])
    executor.start(group, [_launch(ids[1], attempt=2)], parallelism=1)
    seen += _drain(executor, lambda u: sum(x.status == "failed" for x in u) == 1
                   and executor.active() == 0)
    assert [u.status for u in seen if u.experiment == ids[1]] == [
        "running", "failed", "running", "failed"]
    kd.wait(lambda: kd.objects("jobs")[0].get("status", {}).get("failedIndexes") == "1")
    assert executor.active() == 0


def test_missing_command_is_not_retried_by_kubernetes(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path, retries=2)
    kd.outcomes[("mlpipe-proj", 0)] = [Outcome(exit_code=127)]
    executor.start(group, [_launch(e) for e in ids], parallelism=2)
    _drain(executor, lambda u: any(x.exit_code == 127 for x in u))
    executor.start(group, [_launch(ids[0], attempt=2)], parallelism=2)  # a new single Job
    _drain(executor, lambda u: executor.active() == 0)
    jobs = kd.objects("jobs")
    assert len(jobs) == 2
    single = next(j for j in jobs if "completionMode" not in j["spec"])
    assert single["metadata"]["labels"]["mlpipe.io/experiment"] == str(ids[0])
    assert single["spec"]["backoffLimit"] == 0


def test_adaptive_groups_run_one_job_per_trial(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path, algorithm="bo")
    executor.start(group, [_launch(ids[0])], parallelism=2)
    assert executor.active() == 1 and len(kd.objects("jobs")) == 1
    executor.start(group, [_launch(ids[1])], parallelism=2)
    finals = _finals(_drain(executor, lambda u: len(_finals(u)) == 2))
    assert {u.status for u in finals.values()} == {"succeeded"}
    assert len(kd.objects("jobs")) == 2 and len(kd.objects("configmaps")) == 2


def test_watch_survives_410_gone(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path)
    kd.default_outcome = Outcome(hold=1.0)
    executor.start(group, [_launch(e) for e in ids], parallelism=2)
    seen = _drain(executor, lambda u: sum(x.status == "running" for x in u) == 2)
    kd.expire_watches()
    seen += _drain(executor, lambda u: len(_finals(u)) == 2)
    assert [u.status for u in seen].count("running") == 2  # the relist repeats nothing
    assert kd.calls("GET", "pods", watch=False) >= 2  # listed again after the 410


def test_forbidden_job_creation_fails_trials_with_the_reason(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path)
    kd.fail("POST", "/jobs", 403, "Forbidden")
    executor.start(group, [_launch(e) for e in ids], parallelism=2)
    finals = _finals(executor.poll(0))
    assert {u.status for u in finals.values()} == {"failed"}
    assert "403 Forbidden" in finals[ids[0]].message and "Role" in finals[ids[0]].message
    assert kd.objects("jobs") == [] and executor.active() == 0


def test_configmap_failure_rolls_the_job_back(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 2, tmp_path)
    kd.fail("POST", "/configmaps", 500, "InternalError")
    executor.start(group, [_launch(e) for e in ids], parallelism=2)
    finals = _finals(executor.poll(0))
    assert "500" in finals[ids[1]].message
    assert kd.objects("jobs") == [] and kd.objects("pods") == []
    assert kd.calls("POST", "configmaps") == 1  # a create is never retried


def test_stop_all_deletes_jobs_in_the_foreground(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 3, tmp_path)
    kd.default_outcome = Outcome(hold=300)
    executor.start(group, [_launch(e) for e in ids], parallelism=1)
    _drain(executor, lambda u: any(x.status == "running" for x in u))
    executor.stop(None)
    finals = _finals(executor.poll(0))
    assert {e: u.status for e, u in finals.items()} == {e: "stopped" for e in ids}
    assert kd.objects("jobs") == [] and kd.objects("configmaps") == []
    assert kd.objects("pods") == []
    delete = next(r for r in kd.server.requests if r.method == "DELETE")
    assert "/jobs/" in delete.path
    assert executor.poll(0.3) == []  # nothing after the final word


def test_logs_come_from_the_pod_log_api(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    group, ids = _group(store, 1, tmp_path, algorithm="random")
    kd.default_outcome = Outcome(logs=["epoch 1 loss 0.5", "epoch 2 loss 0.3"], hold=0.5)
    executor.start(group, [_launch(ids[0])], parallelism=1)
    _drain(executor, lambda u: any(x.status == "running" for x in u))
    followed = list(executor.logs(ids[0], follow=True))
    assert followed == ["epoch 1 loss 0.5\n", "epoch 2 loss 0.3\n"]
    assert kd.calls("GET", "log") == 1


def test_logs_fall_back_to_the_store_before_a_pod_exists(
        store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    _, ids = _group(store, 1, tmp_path)
    store.log_path(ids[0]).write_text("from the volume\n")
    assert list(executor.logs(ids[0])) == ["from the volume\n"]


def test_missing_image_is_explained(
        store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    spec = SPEC.split("build:")[0] + "run:\n  cmd: python train.py --lr={{ lr }}\n"
    group, ids = _group(store, 2, tmp_path, spec=spec)
    executor.start(group, [_launch(e) for e in ids], parallelism=2)
    finals = _finals(executor.poll(0))
    assert "needs build.image" in finals[ids[0]].message


def test_render_sweep_is_a_dry_run(store: Store, tmp_path: Path) -> None:
    from jupyter_mlpipe.spec import parse_spec

    group, ids = _group(store, 3, tmp_path)
    settings = Settings.load().replace(namespace="team")
    docs = render_sweep(store, settings, group, [_launch(e) for e in ids], 2,
                        spec=parse_spec(SPEC))
    assert [d["kind"] for d in docs] == ["Job", "ConfigMap"]
    for doc in docs:
        validate_core(doc)
    assert docs[0]["metadata"]["namespace"] == "team"
    bo = group.evolve(algorithm="bo")
    assert [d["kind"] for d in render_sweep(store, settings, bo, [_launch(ids[0])], 2,
                                            spec=parse_spec(SPEC))] == ["Job", "ConfigMap"]


@pytest.mark.integration
def test_entry_script_runs_build_steps_and_writes_the_log(
        store: Store, tmp_path: Path) -> None:
    """Run mode: the pod's real command (entry script + build steps + argv) as a process."""
    group, ids = _group(store, 1, tmp_path)
    with KubeDouble(namespace="team", mode="run") as kd:
        ex = make_executor(kd, store, image=None)
        launch = TrialLaunch(experiment=ids[0], attempt=1, cwd=str(tmp_path), argv=(
            sys.executable, "-c", "import os; print('extra', os.environ['EXTRA'])"))
        spec = SPEC.replace("pip install --no-cache-dir torchvision",
                            f"{sys.executable} -c \"print('step ran')\"")
        (store.group_dir(group.id) / "spec.yml").write_text(spec)
        try:
            ex.start(group, [launch], 1)
            finals = _finals(_drain(ex, lambda u: len(_finals(u)) == 1))
        finally:
            ex.close()
    assert finals[ids[0]].status == "succeeded"
    log = store.log_path(ids[0]).read_text()
    assert "step ran" in log and "extra 1" in log


def test_render_sweep_before_anything_exists(store: Store, tmp_path: Path) -> None:
    """The API's dry run renders before the group and its experiments are created."""
    from jupyter_mlpipe.spec import parse_spec

    group = GroupRecord(id=0, project="proj", user="tester", name="dry", created=0.0,
                        spec_file="sweep.yml", project_dir=str(tmp_path), algorithm="random",
                        backend="kubernetes", concurrency=2, planned=2)
    docs = render_sweep(store, Settings.load(), group, [_launch(1), _launch(2)], 2,
                        spec=parse_spec(SPEC))
    entry = json.loads(docs[1]["data"]["1.json"])
    assert entry["outputs_path"] == str(store.group_dir(0) / "2")


def test_a_refused_watch_is_reported_not_swallowed(
        kd: KubeDouble, store: Store, executor: KubernetesExecutor, tmp_path: Path) -> None:
    from jupyter_mlpipe.errors import ExecutorError

    group, ids = _group(store, 1, tmp_path)
    kd.fail("GET", "/pods$", 403, "Forbidden")
    executor.start(group, [_launch(ids[0])], parallelism=1)
    with pytest.raises(ExecutorError, match="403 Forbidden"):
        _drain(executor, lambda u: False)
