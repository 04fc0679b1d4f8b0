"""Serving backends: a local model-server process, or a SeldonDeployment on Kubernetes.

``make_deployer(backend, settings)`` returns the backend by name; each lives in its own module
(``local``, ``seldon``) and is imported only when chosen, so the Kubernetes client loads only for
the cluster backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from .base import HEALTHY, STALE, STARTING, UNHEALTHY, Deployer, DeploySpec

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = [
    "HEALTHY", "STALE", "STARTING", "UNHEALTHY", "Deployer", "DeploySpec", "make_deployer",
]

BACKENDS = ("local", "seldon")


def make_deployer(backend: str, settings: Settings) -> Deployer:
    """The deployer called ``backend`` (``"local"`` or ``"seldon"``), configured by ``settings``.

    Raises:
        ConfigError: the backend is unknown.
    """
    if backend == "local":
        from .local import LocalDeployer

        return LocalDeployer(settings)
    if backend == "seldon":
        from .seldon import SeldonDeployer  # type: ignore[import-not-found,unused-ignore]

        deployer: Deployer = SeldonDeployer(settings)
        return deployer
    raise ConfigError(
        f"unknown deploy backend {backend!r} — use one of {', '.join(BACKENDS)}"
    )
