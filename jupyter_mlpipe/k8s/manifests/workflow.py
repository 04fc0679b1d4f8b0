"""The Argo Workflow that builds a serving image on the cluster.

Default builder: kaniko, which needs no Docker daemon. The build context is the package folder on
the repos volume, mounted read-only; registry credentials come from a ``docker-registry`` Secret
mounted where kaniko looks for them; kaniko writes the pushed image's digest to a file that the
Workflow exposes as the output parameter ``digest``.

``builder="s2i-docker"`` reproduces the original article's pipeline: ``s2i build`` and
``docker push`` against the node's Docker socket (a ``hostPath`` mount). Anything that can reach
that socket is root on the node — use it only on clusters that already work this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ...errors import BuildError
from .common import COMPONENT, ClusterPaths, dns_label, label_value, metadata

BUILDERS = ("kaniko", "s2i-docker")
DIGEST_FILE = "/tmp/mlpipe-digest"  # inside the build container
WORKFLOW_LABEL = "workflows.argoproj.io/workflow"


@dataclass(frozen=True)
class WorkflowBuild:
    """What one image build needs.

    Attributes:
        name: the package name (a DNS-1123 label).
        folder: the package folder, which must lie on the repos volume.
        image: the destination reference (``registry/name:tag``).
        paths: claims and mount paths of the shared volumes.
        builder: ``kaniko`` (default) or ``s2i-docker``.
        push: push the image (kaniko builds with ``--no-push`` otherwise).
        builder_image: the Seldon python builder image, passed as build argument ``BUILDER_IMAGE``
            (and used as the s2i builder).
        registry_secret: the ``docker-registry`` Secret with push credentials ("" = none).
        kaniko_image, s2i_image: the tool images.
        deadline_seconds: ``activeDeadlineSeconds`` of the Workflow.
        ttl_seconds: how long a finished Workflow is kept.
        build_args: extra ``--build-arg`` values (kaniko only).
    """

    name: str
    folder: str
    image: str
    paths: ClusterPaths
    builder: str = "kaniko"
    push: bool = True
    builder_image: str = "seldonio/seldon-core-s2i-python3:1.17.1"
    registry_secret: str = "mlpipe-registry"
    kaniko_image: str = "gcr.io/kaniko-project/executor:v1.23.2"
    s2i_image: str = "quay.io/openshift/origin-s2i-docker:latest"
    deadline_seconds: int = 3600
    ttl_seconds: int = 24 * 3600
    build_args: Mapping[str, str] = field(default_factory=dict)

    def context(self) -> str:
        """The folder, checked to lie under the repos mount path."""
        folder, root = PurePosixPath(self.folder), PurePosixPath(self.paths.repos_root)
        if ".." in folder.parts or not folder.is_absolute() or root not in folder.parents:
            raise BuildError(
                f"the package folder {self.folder} is not on the repos volume"
                f" ({self.paths.repos_root}) — package into a folder under it"
                " (setting deployments_root) so the build pod can read it")
        return str(folder)


def _kaniko_template(build: WorkflowBuild) -> dict[str, Any]:
    ctx = build.context()
    args = [f"--context=dir://{ctx}", f"--dockerfile={ctx}/Dockerfile",
            f"--destination={build.image}", f"--digest-file={DIGEST_FILE}",
            f"--build-arg=BUILDER_IMAGE={build.builder_image}"]
    args += [f"--build-arg={k}={v}" for k, v in sorted(build.build_args.items())]
    if not build.push:
        args.append("--no-push")
    mounts = [{"name": "repos", "mountPath": build.paths.repos_root, "readOnly": True}]
    if build.registry_secret:
        mounts.append({"name": "registry-auth", "mountPath": "/kaniko/.docker", "readOnly": True})
    return {
        "name": "build",
        "container": {"name": "main", "image": build.kaniko_image, "args": args,
                      "volumeMounts": mounts},
        "outputs": {"parameters": [{"name": "digest", "valueFrom": {"path": DIGEST_FILE}}]},
    }


def _docker_container(build: WorkflowBuild, image: str, args: list[str]) -> dict[str, Any]:
    return {"name": "main", "image": image, "args": args, "volumeMounts": [
        {"name": "repos", "mountPath": build.paths.repos_root, "readOnly": True},
        {"name": "docker-socket", "mountPath": "/var/run/docker.sock"}]}


def _s2i_templates(build: WorkflowBuild) -> list[dict[str, Any]]:
    ctx = build.context()
    steps = [[{"name": "s2i-build", "template": "s2i-build"}]]
    if build.push:
        steps.append([{"name": "push", "template": "push"}])
        steps.append([{"name": "digest", "template": "digest"}])
    templates: list[dict[str, Any]] = [
        {"name": "build", "steps": steps},
        {"name": "s2i-build", "container": _docker_container(
            build, build.s2i_image, ["s2i", "build", ctx, build.builder_image, build.image])},
        {"name": "push", "container": _docker_container(
            build, build.s2i_image, ["docker", "push", build.image])},
        # stdout ("repo@sha256:...") becomes the step's outputs.result
        {"name": "digest", "container": _docker_container(
            build, build.s2i_image,
            ["docker", "image", "inspect", "--format", "{{index .RepoDigests 0}}", build.image])},
    ]
    return templates if build.push else templates[:2]


def render_build_workflow(build: WorkflowBuild) -> dict[str, Any]:
    """The Workflow building ``build.folder`` into ``build.image``.

    Raises:
        BuildError: an unknown builder, or a folder outside the repos volume.
    """
    if build.builder not in BUILDERS:
        raise BuildError(f"unknown Argo builder {build.builder!r}"
                         f" — use one of {', '.join(BUILDERS)}")
    volumes: list[dict[str, Any]] = [
        {"name": "repos", "persistentVolumeClaim": {"claimName": build.paths.repos_pvc,
                                                   "readOnly": True}}]
    if build.builder == "kaniko":
        templates = [_kaniko_template(build)]
        if build.registry_secret:
            volumes.append({"name": "registry-auth", "secret": {
                "secretName": build.registry_secret,
                "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}})
    else:
        templates = _s2i_templates(build)
        volumes.append({"name": "docker-socket", "hostPath": {"path": "/var/run/docker.sock",
                                                              "type": "Socket"}})
    labels = {COMPONENT: "build", "mlpipe.io/package": label_value(build.name)}
    meta = metadata("", build.paths.namespace, labels,
                    {"mlpipe.io/image": build.image, "mlpipe.io/builder": build.builder})
    del meta["name"]
    meta["generateName"] = dns_label("mlpipe-build", build.name, limit=50) + "-"
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": meta,
        "spec": {
            "entrypoint": "build",
            "serviceAccountName": build.paths.service_account,
            "activeDeadlineSeconds": build.deadline_seconds,
            "ttlStrategy": {"secondsAfterCompletion": build.ttl_seconds},
            "podGC": {"strategy": "OnPodSuccess"},
            "podMetadata": {"labels": labels},
            "volumes": volumes,
            "templates": templates,
        },
    }
