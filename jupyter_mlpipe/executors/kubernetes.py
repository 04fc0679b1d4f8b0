"""Trials as Kubernetes Jobs.

Grid and random groups: the driver hands over every experiment before it polls, and the first
poll submits them as one Indexed Job (``completions`` = experiments, ``parallelism`` = the
group's concurrency), so Kubernetes enforces the concurrency and retries each index itself
(``backoffLimitPerIndex`` = the group's retries). Adaptive groups (hyperband, bo) and any later
launch run as one single-trial Job each. Every Job is created suspended, then its ConfigMap of
trials (owned by the Job), then unsuspended: two objects per Job, three API calls.

Status comes from one list + watch of the group's pods (see :mod:`jupyter_mlpipe.k8s.watch`);
nothing polls the API. Each attempt is reported like a local one: ``running``, then a final
state. When Kubernetes will retry a failed index itself, the driver's retry launch for that
experiment is adopted rather than submitted again, so both count the same attempts.

Stopping: the whole group deletes its Jobs with foreground propagation. A single experiment of an
Indexed Job cannot be deleted on its own, so the executor writes a stop marker into the
experiment folder (the shared outputs volume); the pod's entry script ends the command and exits
with code 86, which the Job's pod failure policy treats as final.
"""

from __future__ import annotations

import json
import queue
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ExecutorError, KubernetesError, MlpipeError, NotFound
from ..k8s.client import JOB, POD, KubeClient
from ..k8s.manifests import (
    ClusterPaths,
    SweepPod,
    TrialEntry,
    label_value,
    render_indexed_job,
    render_params_configmap,
    render_trial_job,
)
from ..k8s.manifests.common import COMPONENT, GROUP, PROJECT, USER
from ..k8s.manifests.jobs import COMPLETION_INDEX, INDEX_FAILURES, NOT_FOUND_EXIT, STOPPED_EXIT
from ..k8s.trial_entry import STOP_MARKER
from ..k8s.watch import Watcher
from ..store import FAILED, RUNNING, STOPPED, SUCCEEDED, TIMED_OUT, GroupRecord, Store
from .base import Executor, TrialLaunch, TrialUpdate
from .kubernetes_pod import container_state, pod_group
from .logs import follow_file, last_line

#: Launch variables that describe the submitting machine, not the trial's image.
HOST_ONLY = frozenset({"PATH", "PYTHONPATH", "HOME", "VIRTUAL_ENV"})
INDEXED_ALGORITHMS = frozenset({"grid", "random"})


@dataclass
class _Exp:
    """One experiment as this executor sees it."""

    launch: TrialLaunch
    state: str = "buffered"  # buffered | live | retry (Kubernetes retries it) | final
    job: str = ""
    pods: dict[str, str] = field(default_factory=dict)  # pod name -> running | final
    stop_requested: bool = False
    deferred: list[tuple[str, Any]] = field(default_factory=list)  # events while in "retry"


@dataclass
class _Job:
    name: str
    indexed: bool
    by_index: dict[int, int]  # completion index -> experiment
    retries: int


def render_sweep(store: Store, settings: Any, group: GroupRecord,
                 launches: Sequence[TrialLaunch], parallelism: int, spec: Any = None,
                 trial_image: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """What a sweep would create on the cluster (``mlpipe sweep --backend kubernetes
    --dry-run -o yaml``): an Indexed Job + ConfigMap for grid/random, a Job + ConfigMap per
    trial otherwise, their pods on ``trial_image`` when the sweep builds one. Pure: nothing is
    sent to a cluster, no client is needed."""
    executor = KubernetesExecutor(store, None, ClusterPaths.from_settings(settings))
    return executor.render(group, launches, parallelism, spec=spec, trial_image=trial_image)


class KubernetesExecutor(Executor):
    """Runs a group's trials as Jobs in the client's namespace.

    Args:
        store: the project's store (experiment folders are on the shared outputs volume).
        client: the API seam.
        paths: claims and mount paths of the shared volumes.
        image: the trial image when the spec has none (tests; normally ``build.image``).
        watch_timeout: seconds one watch request lasts before it is renewed.
    """

    name = "kubernetes"

    def __init__(self, store: Store, client: KubeClient | None, paths: ClusterPaths, *,
                 image: str | None = None, watch_timeout: int = 60) -> None:
        self.store, self.paths = store, paths
        self._client = client
        self.image, self.watch_timeout = image, watch_timeout
        self._exps: dict[int, _Exp] = {}
        self._jobs: dict[str, _Job] = {}
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._updates: list[TrialUpdate] = []
        self._group: GroupRecord | None = None
        self._pod: tuple[SweepPod, tuple[str, ...], dict[str, str]] | None = None
        self._parallelism = 1
        self._watcher: Watcher | None = None

    @property
    def client(self) -> KubeClient:
        if self._client is None:
            raise ExecutorError("this executor only renders (no Kubernetes client was given)")
        return self._client

    @classmethod
    def from_settings(cls, store: Store, settings: Any) -> KubernetesExecutor:
        return cls(store, KubeClient.from_settings(settings), ClusterPaths.from_settings(settings))

    # -- submitting -----------------------------------------------------------------------------
    def start(self, group: GroupRecord, launches: Sequence[TrialLaunch], parallelism: int) -> None:
        self._group, self._parallelism = group, max(1, parallelism)
        for launch in launches:
            known = self._exps.get(launch.experiment)
            if known is not None and known.state == "retry":
                known.state, known.launch = "live", launch  # Kubernetes already retries it
                replay, known.deferred = known.deferred, []
                for event in replay:
                    self._handle(*event)
                continue
            self._clear_marker(launch.experiment)
            self._exps[launch.experiment] = _Exp(launch)
        if group.algorithm not in INDEXED_ALGORITHMS:
            self._flush()

    def adopt(self, group: GroupRecord, experiments: Sequence[int]) -> set[int]:
        """Take over the trial Jobs an earlier supervisor of ``group`` created: each Job's
        ConfigMap maps its completion indexes to experiments, so an adopted experiment keeps
        its Job, index, retries and logs (Kubernetes never stopped running it). Experiments whose
        Job is gone are not adopted: the driver launches them again.

        Raises:
            KubernetesError: the Jobs or their ConfigMaps cannot be listed.
        """
        from ..k8s.client import CONFIGMAP

        self._group = group
        wanted, adopted = set(experiments), set()
        selector = f"{self._selector(group)},{COMPONENT}=trial"
        configmaps = {c["metadata"]["name"]: c.get("data") or {}
                      for c in self.client.list(CONFIGMAP, selector)[0]}
        for job in self.client.list(JOB, selector)[0]:
            name, spec = job["metadata"]["name"], job.get("spec") or {}
            by_index: dict[int, int] = {}
            for key, text in configmaps.get(name, {}).items():
                if key.removesuffix(".json").isdigit():
                    entry = json.loads(text)
                    by_index[int(key.removesuffix(".json"))] = int(entry["experiment"])
            if not by_index:
                continue
            indexed = spec.get("completionMode") == "Indexed"
            retries = spec.get("backoffLimitPerIndex", 0) if indexed else 0
            self._jobs[name] = _Job(name, indexed, by_index, int(retries or 0))
            for eid in set(by_index.values()) & wanted:
                launch = TrialLaunch(experiment=eid, attempt=1, argv=())
                self._exps[eid] = _Exp(launch, state="live", job=name)
                adopted.add(eid)
        if self._jobs:
            self._ensure_watch()
        return adopted

    @staticmethod
    def _selector(group: GroupRecord) -> str:
        return (f"{GROUP}={group.id},{PROJECT}={label_value(group.project)},"
                f"{USER}={label_value(group.user)}")

    def _entry(self, index: int, launch: TrialLaunch) -> TrialEntry:
        assert self._pod is not None
        _, steps, env_vars = self._pod
        env = {**env_vars, **{k: v for k, v in launch.env.items() if k not in HOST_ONLY}}
        try:
            outputs = self.store.experiment_dir(launch.experiment)
        except NotFound:  # a dry run: the experiment is not created yet; show where it would be
            group = self._group.id if self._group is not None else 0
            outputs = self.store.group_dir(group) / str(launch.experiment)
        return TrialEntry(index=index, experiment=launch.experiment, attempt=launch.attempt,
                          argv=launch.argv, env=env, cwd=launch.cwd, params=launch.params,
                          outputs_path=str(outputs), build_steps=steps)

    def _flush(self) -> None:
        """Submit buffered launches: the first batch of a grid/random group as one Indexed Job,
        anything else (adaptive trials, later launches) as one Job per launch."""
        buffered = [e for e in self._exps.values() if e.state == "buffered"]
        if not buffered or self._group is None:
            return
        try:
            if self._pod is None:
                self._pod = pod_group(self._group, self.store, self.paths, self.image)
            self._ensure_watch()
            if self._group.algorithm in INDEXED_ALGORITHMS and not self._jobs:
                self._submit(buffered, indexed=True)
            else:
                for exp in buffered:
                    self._submit([exp], indexed=False)
        except MlpipeError as exc:
            for exp in (e for e in buffered if e.state == "buffered"):
                exp.state = "final"
                self._updates.append(TrialUpdate(exp.launch.experiment, FAILED, message=str(exc)))

    def _submit(self, exps: list[_Exp], indexed: bool) -> None:
        assert self._pod is not None
        pod = self._pod[0]
        trials = [self._entry(i, e.launch) for i, e in enumerate(exps)]
        suffix = secrets.token_hex(2)
        timeouts = [e.launch.timeout for e in exps if e.launch.timeout]
        pod = replace(pod, timeout=max(timeouts) if timeouts else pod.timeout)
        if indexed:
            body = render_indexed_job(pod, trials, self._parallelism, suffix=suffix)
        else:  # the driver retries single trials itself: no Kubernetes retries on top
            pod = replace(pod, max_retries=0)
            body = render_trial_job(pod, trials[0], suffix=suffix)
        name = body["metadata"]["name"]
        job = self.client.create(body)
        try:
            self.client.create(render_params_configmap(job, trials))
            self.client.patch(JOB, name, {"spec": {"suspend": False}})
        except KubernetesError:
            self.client.delete(JOB, name)  # suspended: nothing ran; leave nothing behind
            raise
        self._jobs[name] = _Job(name, indexed, {t.index: t.experiment for t in trials},
                                pod.max_retries)
        for exp in exps:
            exp.state, exp.job = "live", name

    def render(self, group: GroupRecord, launches: Sequence[TrialLaunch], parallelism: int,
               spec: Any = None, trial_image: Mapping[str, Any] | None = None
               ) -> list[dict[str, Any]]:
        """The objects :meth:`start` would create for ``launches`` (``--dry-run``)."""
        self._group = group
        self._pod = pod_group(group, self.store, self.paths, self.image, spec, trial_image)
        trials = [self._entry(i, launch) for i, launch in enumerate(launches)]
        if group.algorithm in INDEXED_ALGORITHMS:
            job = render_indexed_job(self._pod[0], trials, parallelism)
            return [job, render_params_configmap(job, trials)]
        out: list[dict[str, Any]] = []
        for trial in trials:
            single = replace(trial, index=0)
            job = render_trial_job(self._pod[0], single)
            out += [job, render_params_configmap(job, [single])]
        return out

    # -- watching -------------------------------------------------------------------------------
    def _ensure_watch(self) -> None:
        if self._watcher is not None or self._group is None:
            return
        selector = self._selector(self._group)
        self._watcher = Watcher(self.client, POD, selector,
                                lambda etype, obj: self._events.put((etype, obj)),
                                lambda exc: self._events.put(("ERROR", exc)),
                                timeout=self.watch_timeout)
        self._watcher.start()

    def poll(self, timeout: float = 0.0) -> list[TrialUpdate]:
        self._flush()
        deadline = time.monotonic() + timeout
        while not self._updates:
            left = deadline - time.monotonic()
            try:
                item = self._events.get(timeout=left) if left > 0 else self._events.get_nowait()
            except queue.Empty:
                break
            self._handle(*item)
        while True:  # take everything already delivered, without waiting
            try:
                self._handle(*self._events.get_nowait())
            except queue.Empty:
                break
        out, self._updates = self._updates, []
        return out

    def _handle(self, etype: str, obj: Any) -> None:
        if etype == "ERROR":
            raise ExecutorError(f"watching the group's pods failed: {obj}") from obj
        meta = obj.get("metadata", {})
        job = self._jobs.get((meta.get("labels") or {}).get("job-name", ""))
        if job is None:
            return  # a pod of an earlier supervisor's Job
        index = int((meta.get("annotations") or {}).get(COMPLETION_INDEX, "0"))
        exp = self._exps.get(job.by_index.get(index, -1))
        if exp is None or exp.job != job.name or exp.state == "final":
            return
        if exp.state == "retry":  # until the driver hands the retry over (or never does)
            exp.deferred.append((etype, obj))
            return
        name = meta.get("name", "")
        seen = exp.pods.get(name)
        phase = (obj.get("status") or {}).get("phase", "Pending")
        if etype == "DELETED" and phase not in ("Succeeded", "Failed"):
            return  # deleted before finishing: Kubernetes replaces it, or we stopped it
        if seen is None and (phase in ("Running", "Succeeded", "Failed")):
            exp.pods[name] = seen = "running"
            self._updates.append(TrialUpdate(exp.launch.experiment, RUNNING))
        if seen == "running" and phase in ("Succeeded", "Failed"):
            exp.pods[name] = "final"
            self._finish(exp, job, obj, phase)

    def _finish(self, exp: _Exp, job: _Job, pod: dict[str, Any], phase: str) -> None:
        status = pod.get("status") or {}
        term = container_state(pod, "trial", "terminated")
        code = term.get("exitCode")
        eid = exp.launch.experiment
        if phase == "Succeeded":
            exp.state = "final"
            self._updates.append(TrialUpdate(eid, SUCCEEDED, exit_code=code or 0))
            return
        if status.get("reason") == "DeadlineExceeded":
            result, message = TIMED_OUT, status.get("message") or "pod deadline exceeded"
        elif code == STOPPED_EXIT or exp.stop_requested:
            result, message = STOPPED, "stopped on request"
        else:
            result = FAILED
            message = f"exited with code {code}" if code is not None else "pod failed"
            detail = term.get("message") or status.get("message") or term.get("reason") or ""
            message += f" ({detail})" if detail and detail != "Error" else ""
            # the pod's entry script wrote its output to the experiment folder (shared volume)
            last = last_line(self.store.log_path(eid))
            message += f": {last}" if last else ""
        failures = int((pod["metadata"].get("annotations") or {}).get(INDEX_FAILURES) or 0) + 1
        retried = (job.indexed and result in (FAILED, TIMED_OUT) and failures <= job.retries
                   and code != NOT_FOUND_EXIT)
        exp.state = "retry" if retried else "final"
        self._updates.append(TrialUpdate(eid, result, exit_code=code, message=message))

    # -- stopping, logs ---------------------------------------------------------------------
    def stop(self, experiments: Sequence[int] | None = None) -> None:
        wanted = set(self._exps) if experiments is None else set(experiments)
        targets = [(eid, e) for eid, e in self._exps.items()
                   if eid in wanted and e.state not in ("final",)]
        jobs = {e.job for _, e in targets if e.job}
        if experiments is None:
            for name in jobs:
                self.client.delete(JOB, name, propagation="Foreground")
        for eid, exp in targets:
            job = self._jobs.get(exp.job)
            whole = experiments is None or job is None or not job.indexed
            if exp.state == "live" and job is not None and not whole:
                exp.stop_requested = True
                self._write_marker(eid)
                if "running" in exp.pods.values():
                    continue  # its pod ends itself; the watch reports it as stopped
            elif job is not None and not job.indexed and experiments is not None:
                self.client.delete(JOB, job.name, propagation="Foreground")
            exp.state = "final"
            self._updates.append(TrialUpdate(eid, STOPPED, message="stopped on request"))

    def _write_marker(self, eid: int) -> None:
        folder = self.store.experiment_dir(eid)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / STOP_MARKER).write_text(f"{time.time()}\n", encoding="utf-8")

    def _clear_marker(self, eid: int) -> None:
        (self.store.experiment_dir(eid) / STOP_MARKER).unlink(missing_ok=True)

    def active(self) -> int:
        # Launches buffered for an Indexed Job do not count: the driver hands over the whole
        # grid/random plan, and Kubernetes enforces the concurrency.
        indexed = self._group is not None and self._group.algorithm in INDEXED_ALGORITHMS
        return sum(e.state == "live" or (e.state == "buffered" and not indexed)
                   for e in self._exps.values())

    def logs(self, experiment: int, follow: bool = False) -> Iterator[str]:
        exp = self._exps.get(experiment)
        pods = list(exp.pods) if exp is not None else []
        if pods:
            for line in self.client.pod_log(pods[-1], container="trial", follow=follow):
                yield line + "\n"
            return
        path = self.store.log_path(experiment)
        if not follow:
            yield from self.store.iter_log(experiment)
            return
        yield from follow_file(path, lambda: self.store.read_status(experiment).is_final)

    def close(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        if self._client is not None:
            self._client.close()
        if watcher is not None:
            watcher.join()
