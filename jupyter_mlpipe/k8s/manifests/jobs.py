"""Sweep Jobs: one Indexed Job per grid/random group, one plain Job per adaptive trial.

A Job's trials are described in a ConfigMap (one ``<index>.json`` key per trial plus the fixed
entry script ``entry.py``) that is mounted into every pod; the pod's command never changes.
The ConfigMap is created while the Job is suspended and carries an owner reference to the Job,
so deleting the Job removes it. Limits: a ConfigMap holds at most 1 MiB, which fits thousands of
trials of ordinary size; :func:`render_params_configmap` raises when it would not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ExecutorError
from .common import (
    COMPONENT,
    EXPERIMENT,
    GROUP,
    PROJECT,
    USER,
    ClusterPaths,
    dns_label,
    label_value,
    metadata,
)
from .resources import container_resources, scheduling

JOB_DIR = "/var/run/mlpipe/job"
CONFIGMAP_LIMIT = 1024 * 1024
ENTRY_SOURCE = Path(__file__).resolve().parent.parent / "trial_entry.py"
#: Exit codes of the entry script that retrying cannot change: command not found, stopped.
NOT_FOUND_EXIT = 127
STOPPED_EXIT = 86
INDEX_FAILURES = "batch.kubernetes.io/job-index-failure-count"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"


@dataclass(frozen=True)
class TrialEntry:
    """One trial as a pod sees it (serialised into the ConfigMap)."""

    index: int
    experiment: int
    attempt: int
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str
    params: Mapping[str, Any]
    outputs_path: str
    build_steps: tuple[str, ...] = ()

    def to_json(self, common: Mapping[str, str] | None = None) -> str:
        """The trial's JSON. Variables equal to ``common`` (shared by every trial of the Job,
        stored once) are left out, and a value repeated under several names (Polyaxon's
        aliases) is stored once with ``alias`` naming its other keys: a ConfigMap holds 1 MiB."""
        common = common or {}
        env: dict[str, str] = {}
        alias: dict[str, str] = {}
        first: dict[str, str] = {}
        for key, value in sorted(self.env.items()):
            if common.get(key) == value:
                continue
            if value in first:
                alias[key] = first[value]
                continue
            first.setdefault(value, key)
            env[key] = value
        return json.dumps({
            "experiment": self.experiment, "attempt": self.attempt, "params": dict(self.params),
            "argv": list(self.argv), "env": env, "alias": alias, "cwd": self.cwd,
            "build_steps": list(self.build_steps), "outputs_path": self.outputs_path,
        }, sort_keys=True, default=str, separators=(",", ":"))


def shared_env(trials: Sequence[TrialEntry]) -> dict[str, str]:
    """Variables every trial has with the same value (stored once, as ``common.json``)."""
    if not trials:
        return {}
    first = dict(trials[0].env)
    return {k: v for k, v in first.items() if all(t.env.get(k) == v for t in trials[1:])}


@dataclass(frozen=True)
class SweepPod:
    """What every pod of a group shares.

    Attributes:
        image: the trial image (``build.image``).
        paths: claims and mount paths of the shared volumes.
        user, project, group: identity, written into labels.
        environment: the spec's ``environment`` section (resources, node selector, tolerations).
        timeout: seconds a pod may run (``activeDeadlineSeconds``), or None.
        max_retries: failures tolerated per trial before it counts as failed.
        ttl_seconds: how long finished Jobs stay for inspection.
        working_dir: the project folder on the repos volume (default: the repos mount path).
    """

    image: str
    paths: ClusterPaths
    user: str
    project: str
    group: int
    environment: Mapping[str, Any] = field(default_factory=dict)
    timeout: float | None = None
    max_retries: int = 0
    ttl_seconds: int = 7 * 24 * 3600
    working_dir: str = ""

    def labels(self) -> dict[str, str]:
        return {GROUP: str(self.group), PROJECT: label_value(self.project),
                USER: label_value(self.user), COMPONENT: "trial"}


def job_name(pod: SweepPod, experiment: int | None = None, attempt: int = 0,
             suffix: str = "") -> str:
    """``mlpipe-<project>-<group>`` (indexed) or ``...-<experiment>-a<attempt>`` (one trial),
    plus ``suffix`` (the executor adds a random one so a resumed group never collides)."""
    parts: list[object] = ["mlpipe", pod.project, pod.group]
    if experiment is not None:
        parts += [experiment, f"a{attempt}"]
    if suffix:
        parts.append(suffix)
    return dns_label(*parts, limit=52)


def _pod_template(pod: SweepPod, configmap: str, labels: Mapping[str, str]) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "trial",
        "image": pod.image,
        "command": ["python3", f"{JOB_DIR}/entry.py"],
        "workingDir": pod.working_dir or pod.paths.repos_root,
        "env": [
            {"name": "MLPIPE_JOB_DIR", "value": JOB_DIR},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
            {"name": "MLPIPE_INDEX_FAILURES", "valueFrom": {"fieldRef": {
                "fieldPath": f"metadata.annotations['{INDEX_FAILURES}']"}}},
        ],
        "volumeMounts": [*pod.paths.mounts(), {"name": "job", "mountPath": JOB_DIR,
                                                "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    resources = container_resources(pod.environment)
    if resources:
        container["resources"] = resources
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "serviceAccountName": pod.paths.service_account,
        "automountServiceAccountToken": False,  # trials never talk to the API
        "containers": [container],
        "volumes": [*pod.paths.volumes(),
                    {"name": "job", "configMap": {"name": configmap}}],
        **scheduling(pod.environment),
    }
    if pod.timeout:
        spec["activeDeadlineSeconds"] = max(1, int(pod.timeout))
    return {"metadata": {"labels": dict(labels)}, "spec": spec}


def _failure_policy(indexed: bool) -> dict[str, Any]:
    # A missing command fails the same way on every retry, and a stopped trial must stay
    # stopped: give up on that index (or trial) at once. Evictions and preemptions are not the
    # trial's fault: do not count them against its retries.
    return {"rules": [
        {"action": "FailIndex" if indexed else "FailJob",
         "onExitCodes": {"containerName": "trial", "operator": "In",
                         "values": [STOPPED_EXIT, NOT_FOUND_EXIT]}},
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    ]}


def render_indexed_job(pod: SweepPod, trials: Sequence[TrialEntry], parallelism: int,
                       *, max_failed_indexes: int | None = None, suffix: str = ""
                       ) -> dict[str, Any]:
    """The suspended Indexed Job running ``trials`` (index i runs ``trials[i]``).

    Args:
        pod: what all pods share.
        trials: the trials, in index order (``trials[i].index == i``).
        parallelism: how many pods run at once (the group's concurrency).
        max_failed_indexes: fail the whole Job after this many failed trials (None = never).
    """
    if not trials:
        raise ExecutorError("an Indexed Job needs at least one trial — the group planned none")
    name = job_name(pod, suffix=suffix)
    spec: dict[str, Any] = {
        "suspend": True,
        "completionMode": "Indexed",
        "completions": len(trials),
        "parallelism": max(1, min(parallelism, len(trials))),
        "backoffLimitPerIndex": pod.max_retries,
        "podFailurePolicy": _failure_policy(indexed=True),
        "ttlSecondsAfterFinished": pod.ttl_seconds,
        "template": _pod_template(pod, name, pod.labels()),
    }
    if max_failed_indexes is not None:
        spec["maxFailedIndexes"] = max_failed_indexes
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": metadata(name, pod.paths.namespace, pod.labels()), "spec": spec}


def render_trial_job(pod: SweepPod, trial: TrialEntry, *, suffix: str = "") -> dict[str, Any]:
    """A suspended single-trial Job (adaptive searches start trials one by one)."""
    name = job_name(pod, trial.experiment, trial.attempt, suffix)
    labels = {**pod.labels(), EXPERIMENT: str(trial.experiment)}
    spec = {
        "suspend": True,
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": pod.max_retries,
        "podFailurePolicy": _failure_policy(indexed=False),
        "ttlSecondsAfterFinished": pod.ttl_seconds,
        "template": _pod_template(pod, name, labels),
    }
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": metadata(name, pod.paths.namespace, labels), "spec": spec}


def render_params_configmap(job: Mapping[str, Any], trials: Sequence[TrialEntry]
                            ) -> dict[str, Any]:
    """The ConfigMap holding the trials of ``job`` and the entry script.

    When ``job`` carries ``metadata.uid`` (the API returned it), the ConfigMap is owned by the
    Job; a dry run renders it without the owner reference.

    Raises:
        ExecutorError: the trials do not fit in one ConfigMap (1 MiB).
    """
    meta = job["metadata"]
    data = {"entry.py": ENTRY_SOURCE.read_text(encoding="utf-8")}
    common = shared_env(trials)
    data["common.json"] = json.dumps({"env": common}, sort_keys=True)
    data.update({f"{t.index}.json": t.to_json(common) for t in trials})
    size = sum(len(k) + len(v.encode()) for k, v in data.items())
    if size > CONFIGMAP_LIMIT:
        raise ExecutorError(
            f"the trials of {meta['name']} need {size} bytes of ConfigMap, over the 1 MiB limit"
            " — split the sweep into smaller groups or shorten the commands")
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": metadata(meta["name"], meta["namespace"],
                                                dict(meta.get("labels", {}))),
                           "data": data}
    if meta.get("uid"):
        out["metadata"]["ownerReferences"] = [{
            "apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}]
    return out
