"""The double's Job controller: pods for Indexed and plain Jobs, per-index retries, the pod
failure policy, suspension, and Job status (completed/failed indexes, conditions)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .objects import ApiError, _now

IDX = "batch.kubernetes.io/job-completion-index"
FAILS = "batch.kubernetes.io/job-index-failure-count"


def ranges(indexes: set[int]) -> str:
    """Kubernetes' compressed index list: ``0-2,5``."""
    out: list[str] = []
    for i in sorted(indexes):
        if out and out[-1].split("-")[-1] == str(i - 1):
            out[-1] = out[-1].split("-")[0] + f"-{i}"
        else:
            out.append(str(i))
    return ",".join(out)


@dataclass
class JobState:
    failures: dict[int, int] = field(default_factory=dict)
    succeeded: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    accounted: set[str] = field(default_factory=set)
    failed_pods: int = 0
    job_failed: str = ""


def _exit_code(pod: dict[str, Any], container: str) -> int | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs["name"] == container:
            return (cs.get("state") or {}).get("terminated", {}).get("exitCode")
    return None


def policy_action(job: dict[str, Any], pod: dict[str, Any]) -> str:
    """The first matching podFailurePolicy rule's action, else ``Count``."""
    for rule in (job["spec"].get("podFailurePolicy") or {}).get("rules") or []:
        codes = rule.get("onExitCodes")
        if codes:
            code = _exit_code(pod, codes.get("containerName", ""))
            inside = code in codes["values"]
            if code is not None and inside == (codes["operator"] == "In"):
                return str(rule["action"])
        for cond in rule.get("onPodConditions") or []:
            have = (pod.get("status") or {}).get("conditions") or []
            if any(c["type"] == cond["type"] and c["status"] == cond.get("status", "True")
                   for c in have):
                return str(rule["action"])
    return "Count"


class JobController:
    """Reconciles one Job at a time; the double calls :meth:`reconcile` on every change."""

    def __init__(self, double: Any) -> None:
        self.double = double
        self.states: dict[str, JobState] = {}

    def reconcile(self, ns: str, name: str) -> None:
        """Bring Job ``name`` one step forward: count finished pods, create the pods its
        parallelism allows, write its status. Holds the store's lock throughout, so the pods it
        reads and the status it writes form one ordered state change."""
        with self.double.store.cond:
            self._reconcile(ns, name)

    def _reconcile(self, ns: str, name: str) -> None:
        store = self.double.store
        try:
            job = store.get("jobs", ns, name)
        except ApiError:
            return
        spec, uid = job["spec"], job["metadata"]["uid"]
        conditions = (job.get("status") or {}).get("conditions") or []
        if spec.get("suspend") or any(c["status"] == "True" for c in conditions):
            return
        st = self.states.setdefault(uid, JobState())
        pods = store.peek("pods", ns, f"controller-uid={uid}")
        indexed = spec.get("completionMode") == "Indexed"
        limit = spec.get("backoffLimitPerIndex", 0) if indexed else spec.get("backoffLimit", 6)
        for pod in pods:
            self._account(job, st, pod, indexed, limit)
        if spec.get("maxFailedIndexes") is not None and len(st.failed) > spec["maxFailedIndexes"]:
            st.job_failed = st.job_failed or "MaxFailedIndexesExceeded"
        active = [p for p in pods if p["status"].get("phase") in ("Pending", "Running")
                  and p["metadata"]["uid"] not in st.accounted]
        if st.job_failed:
            for pod in active:
                self.double.delete_pod(ns, pod["metadata"]["name"])
            active = []
        else:
            busy = {int(p["metadata"]["annotations"].get(IDX, 0)) for p in active}
            for idx in range(spec.get("completions", 1)):
                if len(active) >= spec.get("parallelism", 1):
                    break
                if idx in st.succeeded or idx in st.failed or idx in busy:
                    continue
                if not indexed and st.succeeded:
                    break
                active.append(self._create_pod(job, idx, st.failures.get(idx, 0), indexed))
        self._status(job, st, len(active), indexed)

    def _account(self, job: dict[str, Any], st: JobState, pod: dict[str, Any], indexed: bool,
                 limit: int) -> None:
        puid, phase = pod["metadata"]["uid"], pod["status"].get("phase")
        if puid in st.accounted or phase not in ("Succeeded", "Failed"):
            return
        st.accounted.add(puid)
        idx = int(pod["metadata"]["annotations"].get(IDX, 0))
        if phase == "Succeeded":
            st.succeeded.add(idx)
            return
        action = policy_action(job, pod)
        if action == "Ignore":
            return
        st.failed_pods += 1
        if action == "FailJob":
            st.job_failed = "PodFailurePolicy"
            st.failed.add(idx)
        elif action == "FailIndex":
            st.failed.add(idx)
        else:
            st.failures[idx] = st.failures.get(idx, 0) + 1
            if st.failures[idx] > limit:
                st.failed.add(idx)
                if not indexed:
                    st.job_failed = "BackoffLimitExceeded"

    def _create_pod(self, job: dict[str, Any], idx: int, failures: int, indexed: bool
                    ) -> dict[str, Any]:
        meta, tmpl = job["metadata"], job["spec"]["template"]
        labels = {**(tmpl.get("metadata", {}).get("labels") or {}), "job-name": meta["name"],
                  "batch.kubernetes.io/job-name": meta["name"], "controller-uid": meta["uid"],
                  "batch.kubernetes.io/controller-uid": meta["uid"]}
        annotations: dict[str, str] = {}
        spec = _copy(tmpl["spec"])
        if indexed:
            labels[IDX] = str(idx)
            annotations = {IDX: str(idx), FAILS: str(failures)}
            for c in spec["containers"]:
                c.setdefault("env", []).append({"name": "JOB_COMPLETION_INDEX", "value": str(idx)})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"{meta['name']}-{idx}-{uuid.uuid4().hex[:5]}",
                            "labels": labels, "annotations": annotations,
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                                 "name": meta["name"], "uid": meta["uid"],
                                                 "controller": True}]},
               "spec": spec, "status": {"phase": "Pending"}}
        created: dict[str, Any] = self.double.store.create("pods", meta["namespace"], pod)
        self.double.start_pod(created)
        return created

    def _status(self, job: dict[str, Any], st: JobState, active: int, indexed: bool) -> None:
        completions = job["spec"].get("completions", 1)
        done = len(st.succeeded | st.failed) >= completions or bool(st.job_failed) \
            or (not indexed and bool(st.succeeded))
        status: dict[str, Any] = {"active": active, "succeeded": len(st.succeeded),
                                  "failed": st.failed_pods, "startTime": _now()}
        if indexed:
            status["completedIndexes"] = ranges(st.succeeded)
            status["failedIndexes"] = ranges(st.failed)
        if done and active == 0:
            failed = st.job_failed or (st.failed and "FailedIndexes")
            kind = "Failed" if failed else "Complete"
            status["conditions"] = [{"type": kind, "status": "True",
                                     "reason": failed or "Completed"}]
            status["completionTime"] = _now()

        def change(obj: dict[str, Any]) -> dict[str, Any]:
            old = obj.get("status") or {}
            obj["status"] = {**status, "startTime": old.get("startTime", status["startTime"])}
            return obj

        try:
            self.double.store.update("jobs", job["metadata"]["namespace"],
                                     job["metadata"]["name"], change)
        except ApiError:
            pass  # deleted meanwhile


def _copy(obj: Any) -> Any:
    import copy

    return copy.deepcopy(obj)
