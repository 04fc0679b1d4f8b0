"""A loopback Kubernetes API double for tests (the official client talks to it over HTTP).

It stores objects, serves list/watch (with resourceVersion and 410 Gone after
:meth:`KubeDouble.expire_watches`) and pod logs, and behaves like a small cluster: a Job
controller makes pods (Indexed Jobs, per-index retries, pod failure policies, suspension), pods
run scripted outcomes or — in ``run`` mode — their command as a local process, Workflows run a
build pod and finish with an image digest, SeldonDeployments become Available (or Failed).
Faults (403, 409, 500 ...) are injected per method and path with :meth:`KubeDouble.fail`.
What clients write is checked as a Kubernetes 1.33 API server checks it (schemas, names, Job
immutability, resourceVersion conflicts; see :mod:`.validation`). State changes are ordered: a
pod's final phase and its Job's status that counts it are one atomic change of the store.

Simplifications, on purpose: deletion is immediate (dependents first) rather than through
finalizers; a MODIFIED object that stops matching a watch's selector is not sent as DELETED.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from .jobs import JobController
from .objects import ApiError, Event, ObjectStore, _now, merge_patch
from .pods import LocalPod, Outcome
from .server import DoubleServer, Fault
from .validation import check_update

__all__ = ["KubeDouble", "Outcome"]


class KubeDouble:
    """Start with ``with KubeDouble() as kd:``; ``kd.client()`` is a KubeClient pointed at it.

    Args:
        namespace: the namespace clients use.
        mode: ``script`` (pods follow :attr:`outcomes`) or ``run`` (pods run their command).
    """

    def __init__(self, namespace: str = "default", mode: str = "script") -> None:
        self.namespace, self.mode = namespace, mode
        self.store = ObjectStore()
        self.server = DoubleServer(self)
        self.logs: dict[tuple[str, str], list[str]] = {}
        self.log_done: set[tuple[str, str]] = set()
        self.outcomes: dict[tuple[str, int], list[Outcome]] = {}  # (job prefix, index) -> tries
        self.default_outcome = Outcome()
        self.workflow_outcome: dict[str, Any] = {
            "phase": "Succeeded", "digest": "sha256:" + "d" * 64,
            "logs": ["building", "pushed"], "message": ""}
        self.seldon_outcome: dict[str, Any] = {"state": "Available", "description": ""}
        # image -> what stands for it in ``run`` mode: the argv its ``python`` means (default:
        # this interpreter), or a waiting reason such as "ErrImagePull" (it never starts)
        self.images: dict[str, list[str] | str] = {}
        self.local: dict[str, LocalPod] = {}
        self.gone: dict[str, threading.Event] = {}  # scripted pods: set when deleted
        self.jobs = JobController(self)
        self._work: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._pending: set[tuple[str, str, str]] = set()  # queued keys, to coalesce bursts
        self.store.listeners.append(self._on_event)
        self._threads: list[threading.Thread] = []

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> KubeDouble:
        for target in (lambda: self.server.serve_forever(0.05), self._control):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.stopping.set()
        for event in list(self.gone.values()):
            event.set()
        for pod in list(self.local.values()):
            pod.kill()
        with self.store.cond:
            self.store.cond.notify_all()
        self._work.put(None)
        self.server.shutdown()
        self.server.server_close()
        for t in self._threads:
            t.join(10)

    def configuration(self) -> Any:
        from kubernetes import client

        conf = client.Configuration()
        conf.host = self.url
        return conf

    def kubeconfig(self, path: Any) -> str:
        """Write a kubeconfig file pointing at the double (its namespace as the context's);
        return its path, for settings such as ``MLPIPE_KUBECONFIG``."""
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "double",
            "clusters": [{"name": "double", "cluster": {"server": self.url}}],
            "users": [{"name": "me", "user": {"token": "t"}}],
            "contexts": [{"name": "double", "context": {"cluster": "double", "user": "me",
                                                        "namespace": self.namespace}}]}))
        return str(path)

    def client(self, **kwargs: Any) -> Any:
        from jupyter_mlpipe.k8s.client import KubeClient

        kwargs.setdefault("backoff", 0.01)
        return KubeClient(self.configuration(), self.namespace, **kwargs)

    # -- test controls --------------------------------------------------------------------------
    def fail(self, method: str, path: str, status: int, reason: str = "", times: int = 1) -> None:
        """Answer the next ``times`` requests matching ``method`` and regex ``path`` with
        ``status``."""
        self.server.faults.append(Fault(method, path, status, reason or str(status), times))

    def expire_watches(self) -> None:
        """Compact the history: open watches get 410 Gone, resumes from old versions too."""
        self.store.compact()

    def calls(self, method: str | None = None, plural: str | None = None,
              watch: bool | None = None) -> int:
        """How many requests matched (method, resource plural, watch or not)."""
        return sum(1 for r in self.server.requests
                   if (method is None or r.method == method)
                   and (plural is None or f"/{plural}" in r.path)
                   and (watch is None or (r.query.get("watch") in ("true", "1")) == watch))

    def objects(self, plural: str) -> list[dict[str, Any]]:
        return self.store.list(plural, self.namespace)[0]

    def wait(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        """Wait until ``predicate()`` (a safety net against hangs, not a speed check)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("the double never reached the expected state")
            time.sleep(0.02)

    # -- API behaviour the server delegates -------------------------------------------------------
    def patch(self, plural: str, ns: str, name: str, body: Any, content_type: str
              ) -> dict[str, Any]:
        if "json-patch" in content_type and not isinstance(body, list):
            raise ApiError(400, "BadRequest", "json patch body must be an array of operations")
        if isinstance(body, list):
            raise ApiError(415, "UnsupportedMediaType", "the double only merges patches")
        expected = ((body.get("metadata") or {}).get("resourceVersion")
                    if isinstance(body, dict) else None)

        def change(obj: dict[str, Any]) -> dict[str, Any]:
            new: dict[str, Any] = merge_patch(obj, body)
            check_update(plural, obj, new, expected)
            return new

        return self.store.update(plural, ns, name, change)

    def replace(self, plural: str, ns: str, name: str, body: Any) -> dict[str, Any]:
        """PUT: the whole object replaced (status and identity kept), optimistic on its
        ``metadata.resourceVersion``."""
        if not isinstance(body, dict) or (body.get("metadata") or {}).get("name") != name:
            raise ApiError(400, "BadRequest", "the body must be the object named in the URL")

        def change(obj: dict[str, Any]) -> dict[str, Any]:
            new = {**body, "status": obj.get("status")} if "status" in obj else dict(body)
            meta = obj["metadata"]
            new["metadata"] = {**body["metadata"], **{k: meta[k] for k in (
                "namespace", "uid", "creationTimestamp", "generation") if k in meta}}
            check_update(plural, obj, new, body["metadata"].get("resourceVersion"))
            return new

        return self.store.update(plural, ns, name, change)

    def stream_log(self, handler: Any, ns: str, name: str, query: dict[str, str]) -> None:
        self.store.get("pods", ns, name)  # 404 when absent
        follow = query.get("follow") in ("true", "1")
        handler.start_stream("text/plain")
        try:
            self._log_lines(handler, ns, name, follow)
        finally:
            handler.end_stream()

    def _log_lines(self, handler: Any, ns: str, name: str, follow: bool) -> None:
        sent = 0
        key = (ns, name)
        while True:
            with self.store.cond:
                lines = self.logs.get(key, [])[sent:]
                finished = key in self.log_done or self.server.stopping.is_set()
                if not lines and follow and not finished:
                    self.store.cond.wait(0.5)
                    continue
            handler.chunk(b"".join(line.encode() + b"\n" for line in lines))
            sent += len(lines)
            if not follow or (finished and not lines):
                return

    # -- the control loop ---------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        meta = event.obj["metadata"]
        if event.plural == "pods":
            if event.type == "DELETED":
                self.gone.setdefault(meta["name"], threading.Event()).set()
                local = self.local.pop(meta["name"], None)
                if local is not None:
                    threading.Thread(target=local.kill, daemon=True).start()
                self.log_done.add((event.namespace, meta["name"]))
            for owner in meta.get("ownerReferences") or []:
                if owner["kind"] == "Job":
                    self._enqueue(("jobs", event.namespace, owner["name"]))
        elif event.type != "DELETED" and event.plural in ("jobs", "workflows",
                                                          "seldondeployments"):
            self._enqueue((event.plural, event.namespace, meta["name"]))

    def _enqueue(self, key: tuple[str, str, str]) -> None:
        if key not in self._pending:  # called under the store lock
            self._pending.add(key)
            self._work.put(key)

    def _control(self) -> None:
        from .crds import reconcile_seldon, reconcile_workflow

        while (item := self._work.get()) is not None:
            with self.store.cond:
                self._pending.discard(item)
            plural, ns, name = item
            try:
                if plural == "jobs":
                    self.jobs.reconcile(ns, name)
                elif plural == "workflows":
                    reconcile_workflow(self, ns, name)
                else:
                    reconcile_seldon(self, ns, name)
            except ApiError:
                pass  # the object went away meanwhile

    # -- pods -------------------------------------------------------------------------------------
    def log(self, ns: str, name: str, line: str) -> None:
        with self.store.cond:
            self.logs.setdefault((ns, name), []).append(line)
            self.store.cond.notify_all()

    def set_pod(self, ns: str, name: str, phase: str, code: int | None = None,
                reason: str = "", message: str = "", conditions: list[Any] | None = None) -> None:
        def change(pod: dict[str, Any]) -> dict[str, Any]:
            container = pod["spec"]["containers"][0]["name"]
            state: dict[str, Any] = {"running": {"startedAt": _now()}}
            if code is not None:
                state = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0
                                        else "Error", "finishedAt": _now()}}
            pod["status"] = {"phase": phase, "startTime": _now(), "containerStatuses": [
                {"name": container, "state": state, "ready": code is None, "restartCount": 0,
                 "image": pod["spec"]["containers"][0]["image"], "imageID": ""}]}
            if reason:
                pod["status"].update(reason=reason, message=message)
            if conditions:
                pod["status"]["conditions"] = conditions
            return pod

        # One critical section: a finished pod, its log's end and its Job's new status become
        # visible together, so no reader sees a final pod whose Job has not counted it yet.
        with self.store.cond:
            try:
                pod = self.store.update("pods", ns, name, change)
            except ApiError:
                return
            if phase not in ("Succeeded", "Failed"):
                return
            self.log_done.add((ns, name))
            for owner in pod["metadata"].get("ownerReferences") or []:
                if owner["kind"] == "Job":
                    self.jobs.reconcile(ns, owner["name"])
            self.store.cond.notify_all()

    def wait_pod(self, ns: str, name: str, reason: str) -> None:
        """Leave the pod Pending with its container waiting for ``reason`` (a bad image)."""
        def change(pod: dict[str, Any]) -> dict[str, Any]:
            container = pod["spec"]["containers"][0]
            pod["status"] = {"phase": "Pending", "containerStatuses": [{
                "name": container["name"], "ready": False, "restartCount": 0,
                "image": container["image"], "imageID": "", "state": {"waiting": {
                    "reason": reason,
                    "message": f'failed to pull image "{container["image"]}": not found'}}}]}
            return pod

        try:
            self.store.update("pods", ns, name, change)
        except ApiError:
            pass

    def delete_pod(self, ns: str, name: str) -> None:
        """Delete a pod as its controller does (a missing pod is already gone)."""
        try:
            self.store.delete("pods", ns, name)
        except ApiError:
            pass

    def start_pod(self, pod: dict[str, Any]) -> None:
        threading.Thread(target=self._run_pod, args=(pod,), daemon=True).start()

    def outcome_for(self, pod: dict[str, Any]) -> Outcome:
        job = pod["metadata"]["labels"].get("job-name", "")
        idx = int(pod["metadata"].get("annotations", {}).get(
            "batch.kubernetes.io/job-completion-index", 0))
        for (prefix, index), tries in self.outcomes.items():
            if job.startswith(prefix) and index == idx and tries:
                return tries.pop(0)
        return self.default_outcome

    def _run_pod(self, pod: dict[str, Any]) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        stand_in = self.images.get(pod["spec"]["containers"][0]["image"])
        if isinstance(stand_in, str):
            self.wait_pod(ns, name, stand_in)
            return
        self.set_pod(ns, name, "Running")
        deadline = pod["spec"].get("activeDeadlineSeconds")
        if self.mode == "run":
            cms = {o["metadata"]["name"]: o.get("data", {}) for o in
                   self.store.list("configmaps", ns)[0]}
            local = LocalPod(pod, cms, python=stand_in)
            self.local[name] = local
            code, expired = local.run(lambda line: self.log(ns, name, line), deadline)
            if local.killed.is_set() and not expired:
                return  # deleted: the pod object is gone
            self.local.pop(name, None)
            outcome = Outcome(exit_code=code, deadline=expired, logs=[])
        else:
            outcome = self.outcome_for(pod)
            for line in outcome.logs:
                self.log(ns, name, line)
            with self.store.cond:
                gone = self.gone.setdefault(name, threading.Event())
            if gone.wait(outcome.hold) or self.server.stopping.is_set():
                return  # deleted while it ran: the pod object is gone
        if outcome.deadline:
            self.set_pod(ns, name, "Failed", 137, "DeadlineExceeded",
                         "Pod was active on the node longer than the specified deadline")
        elif outcome.disruption:
            self.set_pod(ns, name, "Failed", 143, conditions=[
                {"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI"}])
        else:
            self.set_pod(ns, name, "Succeeded" if outcome.exit_code == 0 else "Failed",
                         outcome.exit_code)


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1)
