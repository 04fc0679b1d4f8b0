"""Image builders: the rendered s2i-equivalent Dockerfile built locally or on a cluster."""

from .base import DEFAULT_BUILDER_IMAGE, Builder, BuildRequest, BuildResult
from .dockerfile import render_dockerfile, write_dockerfile

__all__ = [
    "DEFAULT_BUILDER_IMAGE", "BuildRequest", "BuildResult", "Builder", "render_dockerfile",
    "write_dockerfile",
]
