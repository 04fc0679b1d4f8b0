"""Image builders: the rendered s2i-equivalent Dockerfile built locally or on a cluster.

``make_builder(backend, settings)`` picks the implementation: ``local`` (buildah, podman or
docker on this machine, :mod:`.local`) or ``argo`` (a Workflow running kaniko, :mod:`.argo`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from .base import DEFAULT_BUILDER_IMAGE, Builder, BuildRequest, BuildResult
from .dockerfile import render_dockerfile, write_dockerfile

if TYPE_CHECKING:
    from ..settings import Settings

BACKENDS = ("local", "argo")


def make_builder(backend: str, settings: Settings | None = None) -> Builder:
    """The builder called ``backend``, configured by ``settings``.

    Raises:
        ConfigError: the backend is unknown.
    """
    if backend == "local":
        from .local import LocalBuilder

        return LocalBuilder()
    if backend == "argo":
        from .argo import ArgoBuilder  # type: ignore[import-not-found,unused-ignore]

        builder: Builder = ArgoBuilder(settings)
        return builder
    raise ConfigError(f"unknown build backend {backend!r} — use one of {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS", "DEFAULT_BUILDER_IMAGE", "BuildRequest", "BuildResult", "Builder",
    "make_builder", "render_dockerfile", "write_dockerfile",
]
