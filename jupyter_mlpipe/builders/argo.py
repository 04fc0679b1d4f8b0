"""Build serving images on the cluster with an Argo Workflow.

The package folder sits on the repos volume, which the build pod mounts read-only as its context.
The default step runs kaniko over the Dockerfile rendered for the package (no Docker daemon);
``builder="s2i-docker"`` runs the original article's ``s2i build`` + ``docker push`` against the
node's Docker socket instead (root-equivalent on that node: only for clusters that already work
that way). The Workflow is submitted through the custom objects API; its phase is watched, step
logs stream to ``on_line`` as they are written, a failure reports Argo's message with the log
tail, and the pushed image's digest is returned and recorded in the package's lineage.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

from ..errors import BuildError, KubernetesError
from ..k8s.client import POD, WORKFLOW, KubeClient
from ..k8s.manifests import ClusterPaths, WorkflowBuild, render_build_workflow
from ..k8s.manifests.workflow import BUILDERS, WORKFLOW_LABEL
from ..k8s.watch import events, wait_for
from ..packaging.lineage import update_lineage
from .base import Builder, BuildRequest, BuildResult, OnLine
from .dockerfile import write_dockerfile

FINISHED = ("Succeeded", "Failed", "Error")


def workflow_digest(workflow: dict[str, Any]) -> str:
    """The image digest a finished build Workflow reports ("" when it reports none).

    kaniko's step exposes the output parameter ``digest``; the s2i-docker ``digest`` step prints
    ``repo@sha256:...`` as its result.
    """
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    for node in nodes.values():
        outputs = node.get("outputs") or {}
        for param in outputs.get("parameters") or []:
            if param.get("name") == "digest" and param.get("value"):
                return str(param["value"]).strip()
        result = str(outputs.get("result") or "")
        if "@sha256:" in result:
            return result.strip().rsplit("@", 1)[1]
    return ""


class _LogFollower:
    """Streams the ``main`` container log of each build pod, in the order the pods start."""

    def __init__(self, client: KubeClient, workflow: str, on_line: OnLine | None) -> None:
        self.client, self.workflow, self.on_line = client, workflow, on_line
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="mlpipe-argo-logs")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        done: set[str] = set()
        try:
            for _, pod in events(self.client, POD, f"{WORKFLOW_LABEL}={self.workflow}",
                                 stop=self.stop, timeout=10):
                name = pod["metadata"]["name"]
                phase = (pod.get("status") or {}).get("phase")
                if name in done or phase not in ("Running", "Succeeded", "Failed"):
                    continue
                done.add(name)
                for line in self.client.pod_log(name, container="main", follow=True):
                    self.tail.append(line)
                    if self.on_line is not None:
                        self.on_line(line)
        except KubernetesError as exc:  # logs are a convenience; the phase decides the result
            self.tail.append(f"(log streaming stopped: {exc})")

    def finish(self, wait: float = 10.0) -> None:
        """Let the current log run to its end, then stop watching for more pods."""
        self.stop.set()
        self.client.close_watches()  # the Workflow is done: no pod is coming
        self._thread.join(wait)


class ArgoBuilder(Builder):
    """Builds images with an Argo Workflow in the settings' namespace.

    Args:
        settings: the settings in force (namespace, claims, paths, service account).
        client: the API seam (default: from the settings).
        registry_secret: the ``docker-registry`` Secret kaniko pushes with ("" = anonymous;
            default: the ``registry_secret`` setting).
        timeout: seconds to wait for the Workflow (also its ``activeDeadlineSeconds``).
    """

    name = "argo"

    def __init__(self, settings: Any, client: KubeClient | None = None, *,
                 registry_secret: str | None = None, timeout: float = 3600) -> None:
        self.settings = settings
        self._client = client
        self.registry_secret = (settings.registry_secret if registry_secret is None
                                else registry_secret)
        self.timeout = timeout

    @property
    def client(self) -> KubeClient:
        if self._client is None:
            self._client = KubeClient.from_settings(self.settings)
        return self._client

    def _build(self, request: BuildRequest) -> WorkflowBuild:
        tool = request.builder or "kaniko"
        if tool not in BUILDERS:
            raise BuildError(f"the argo backend builds with {' or '.join(BUILDERS)}, got"
                             f" --builder {tool} — drop --builder or use --backend local")
        timeout = request.timeout or self.timeout
        return WorkflowBuild(
            name=request.name, folder=str(request.folder), image=request.image,
            paths=ClusterPaths.from_settings(self.settings), builder=tool, push=request.push,
            builder_image=request.builder_image, registry_secret=self.registry_secret,
            deadline_seconds=max(60, int(timeout)), build_args=dict(request.build_args))

    def render(self, request: BuildRequest) -> list[dict[str, Any]]:
        return [render_build_workflow(self._build(request))]

    def build(self, request: BuildRequest, on_line: OnLine | None = None) -> BuildResult:
        """Submit the Workflow, stream its logs, wait for its phase; record the digest.

        Raises:
            BuildError: the Workflow failed or timed out (with Argo's message and the log tail).
            KubernetesError: the API refused the Workflow (403: apply the cluster manifests).
        """
        spec = self._build(request)
        dockerfile = ""
        if spec.builder == "kaniko" and request.mode == "dockerfile":
            dockerfile = f"{request.folder}/Dockerfile"  # the folder brings its own
        elif spec.builder == "kaniko":
            dockerfile = str(write_dockerfile(request.folder, builder_image=request.builder_image,
                                              mode=request.mode))
        created = self.client.create(render_build_workflow(spec))
        name = created["metadata"]["name"]
        logs = _LogFollower(self.client, name, on_line)
        logs.start()
        try:
            final = wait_for(self.client, WORKFLOW, name,
                             lambda wf: (wf.get("status") or {}).get("phase") in FINISHED,
                             timeout=spec.deadline_seconds + 60)
        finally:
            logs.finish()
        where = f"kubectl -n {self.client.namespace} get workflow {name}"
        if final is None:
            raise BuildError(f"build workflow {name} did not finish within"
                             f" {spec.deadline_seconds}s — inspect it with `{where}`")
        status = final.get("status") or {}
        if status.get("phase") != "Succeeded":
            tail = "\n".join(list(logs.tail)[-15:])
            raise BuildError(f"build workflow {name} {status.get('phase', '').lower()}:"
                             f" {status.get('message') or 'no message'} — inspect it with"
                             f" `{where}`; last log lines:\n{tail}")
        digest = workflow_digest(final)
        if request.mode != "dockerfile":  # a package folder records what was built from it
            update_lineage(request.folder, image=request.image, digest=digest,
                           builder=f"argo/{spec.builder}", workflow=name, built=time.time(),
                           pushed=request.push)
        return BuildResult(image=request.image, digest=digest, log_tail=tuple(logs.tail),
                           dockerfile_path=dockerfile, builder=f"argo/{spec.builder}",
                           pushed=request.push)
