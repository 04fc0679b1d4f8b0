"""The in-cluster supervisor of a Kubernetes sweep: a small Job per group.

A Kubernetes sweep must not depend on the JupyterLab pod that started it (culled, evicted,
drained, rolled out). Its supervisor — the same driver a local sweep runs as a detached process —
runs as a one-pod Job in the cluster instead, with the JupyterLab image, service account and
volumes, so it reads and writes the same store. If its pod goes away, the Job controller starts
another (``backoffLimit``; evictions and deletions are not counted), and the new supervisor
resumes from the store and adopts the trial Jobs already running (nothing runs twice).

The pod's command is the fixed module entry point with ``--in-cluster``; the group is named by
numbers and the store by paths from the settings (argv, never a shell).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .common import COMPONENT, GROUP, PROJECT, USER, ClusterPaths, dns_label, label_value, metadata

#: Supervisor restarts tolerated before the Job gives up (each resumes from the store).
RESTARTS = 20


@dataclass(frozen=True)
class SupervisorPod:
    """What the supervisor Job of one group needs.

    Attributes:
        image: an image with jupyter-mlpipe and the kubernetes client (the JupyterLab image).
        paths: claims and mount paths of the shared volumes (the store is on ``outputs``).
        user, project, group: which group it drives.
        env: ``MLPIPE_*`` settings the supervisor reads (same values as the notebook's).
        suffix: makes the name unique per start (a resumed group gets a new Job).
    """

    image: str
    paths: ClusterPaths
    user: str
    project: str
    group: int
    env: Mapping[str, str] = field(default_factory=dict)
    suffix: str = ""

    def labels(self) -> dict[str, str]:
        return {GROUP: str(self.group), PROJECT: label_value(self.project),
                USER: label_value(self.user), COMPONENT: "supervisor"}

    @property
    def name(self) -> str:
        parts: list[object] = ["mlpipe", self.project, self.group, "sup"]
        return dns_label(*parts, *([self.suffix] if self.suffix else []), limit=52)


def render_supervisor_job(sup: SupervisorPod) -> dict[str, Any]:
    """The supervisor Job of ``sup.group`` (created running; it has no ConfigMap)."""
    argv = ["python3", "-m", "jupyter_mlpipe.engine.supervisor", "--in-cluster",
            "--root", sup.paths.outputs_root, "--user", sup.user, "--project", sup.project,
            "--group", str(sup.group)]
    env: list[dict[str, Any]] = [{"name": k, "value": str(v)} for k, v in sorted(sup.env.items())]
    env.append({"name": "MLPIPE_SUPERVISOR_POD",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
    container: dict[str, Any] = {
        "name": "supervisor", "image": sup.image, "command": argv, "env": env,
        "volumeMounts": sup.paths.mounts(),
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"memory": "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    spec = {
        "backoffLimit": RESTARTS,
        "completions": 1,
        "parallelism": 1,
        # a deleted or evicted supervisor is replaced without counting against the limit
        "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [
            {"type": "DisruptionTarget", "status": "True"}]}]},
        "ttlSecondsAfterFinished": 7 * 24 * 3600,
        "template": {"metadata": {"labels": sup.labels()}, "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": sup.paths.service_account,
            "containers": [container],
            "volumes": sup.paths.volumes(),
        }},
    }
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": metadata(sup.name, sup.paths.namespace, sup.labels()), "spec": spec}
