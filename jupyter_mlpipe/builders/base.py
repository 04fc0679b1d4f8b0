"""The builder plug-in point: turn a package folder into a container image.

A builder needs two methods: :meth:`Builder.render` (what would run, for ``--dry-run``) and
:meth:`Builder.build`. The local builder drives buildah, podman or docker; the Argo builder
(Kubernetes) submits a Workflow that runs kaniko over the same rendered Dockerfile.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..store.display import Card, Shown, short_digest

#: The Seldon python builder image the rendered Dockerfile starts FROM by default.
DEFAULT_BUILDER_IMAGE = "docker.io/seldonio/seldon-core-s2i-python3:1.17.1"

OnLine = Callable[[str], None]


@dataclass(frozen=True)
class BuildRequest:
    """What to build.

    Attributes:
        name: the package name (for labels and messages).
        folder: the package folder (the build context).
        image: the image reference to tag (and push), e.g. ``registry:5000/mnist:1``.
        push: push the image after building.
        builder_image: the image the Dockerfile starts FROM (build argument ``BUILDER_IMAGE``).
        builder: force a tool (``docker``/``podman``/``buildah``); None auto-detects.
        mode: ``"s2i"`` runs the builder image's ``/s2i/bin/assemble`` like ``s2i build``;
            ``"pip"`` installs requirements and seldon-core into a plain Python base image;
            ``"dockerfile"`` builds the Dockerfile already in the folder (trial images).
        build_args: extra ``--build-arg`` values.
        mounts: ``host:container[:ro]`` bind mounts for RUN steps (buildah/podman only), e.g.
            a CA bundle pip needs behind a TLS-inspecting proxy.
        tls_verify: verify TLS when pulling and pushing (false for a plain-HTTP registry).
        timeout: seconds before the build is stopped; None waits.
    """

    name: str
    folder: str | Path
    image: str
    push: bool = False
    builder_image: str = DEFAULT_BUILDER_IMAGE
    builder: str | None = None
    mode: str = "s2i"
    build_args: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[str, ...] = ()
    tls_verify: bool = True
    timeout: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "folder": str(self.folder), "image": self.image, "push": self.push,
            "builder_image": self.builder_image, "builder": self.builder, "mode": self.mode,
            "build_args": dict(self.build_args), "mounts": list(self.mounts),
            "tls_verify": self.tls_verify, "timeout": self.timeout,
        }


@dataclass(frozen=True)
class BuildResult(Shown):
    """What a build produced.

    Attributes:
        image: the image reference built (and pushed).
        digest: ``sha256:…`` — the registry manifest digest when pushed, else the local image id.
        log_tail: the last lines of the build output.
        dockerfile_path: the Dockerfile written into the package folder.
        builder: the tool or backend that built it (``buildah``, ``argo`` ...).
        pushed: whether the image was pushed.
    """

    image: str
    digest: str
    log_tail: tuple[str, ...] = ()
    dockerfile_path: str = ""
    builder: str = ""
    pushed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image, "digest": self.digest, "log_tail": list(self.log_tail),
            "dockerfile_path": self.dockerfile_path, "builder": self.builder,
            "pushed": self.pushed,
        }

    def card(self) -> Card:
        """The image built, by what, and how to serve it."""
        lines = [
            ("image", self.image),
            ("digest", short_digest(self.digest) if self.digest else "—"),
            ("pushed", "yes" if self.pushed else "no (local image)"),
            ("built by", self.builder or "—"),
            ("Dockerfile", self.dockerfile_path or "—"),
        ]
        if self.log_tail:
            lines.append(("last line", self.log_tail[-1]))
        steps = [f"mlpipe deploy PACKAGE --backend seldon --image {self.image}"]
        return Card(f"image {self.image}", "built", lines, steps)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BuildResult:
        return cls(
            image=str(data["image"]), digest=str(data.get("digest", "")),
            log_tail=tuple(data.get("log_tail", ())),
            dockerfile_path=str(data.get("dockerfile_path", "")),
            builder=str(data.get("builder", "")), pushed=bool(data.get("pushed", False)),
        )


class Builder(ABC):
    """Builds a package folder into an image."""

    #: Backend name as used by ``--backend`` (``local``, ``argo``).
    name: str = ""

    @abstractmethod
    def render(self, request: BuildRequest) -> str | list[dict[str, Any]]:
        """What :meth:`build` would do, without side effects (Dockerfile text or manifests)."""

    @abstractmethod
    def build(self, request: BuildRequest, on_line: OnLine | None = None) -> BuildResult:
        """Build (and push when asked); stream output lines to ``on_line``.

        Raises:
            BuilderNotFound: the backend's tool is not available.
            BuildError: the build or push failed; the message carries the output's tail.
        """
