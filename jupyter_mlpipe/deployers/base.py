"""The deployer plug-in point: what every serving backend (local process, Seldon) implements.

A deployer turns a :class:`DeploySpec` (a packaged model folder or an image, plus how to serve
it) into a running endpoint, and records the deployment so any process can find it again.
Rendering is separate from acting: :meth:`Deployer.render` returns what :meth:`Deployer.deploy`
would create, which is what ``--dry-run -o yaml`` prints.

A deployment record is a plain JSON-able dict with at least ``name``, ``backend``, ``url``,
``folder``, ``image``, ``lineage`` and ``created``; backends add their own keys (the local one
adds ``pid``, ``create_time``, ``port``, ``log``). :meth:`Deployer.status` returns the record
plus ``health`` (``"healthy"``, ``"unhealthy"``, ``"starting"``, ``"stale"``) and ``detail``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Health values :meth:`Deployer.status` reports.
HEALTHY = "healthy"
UNHEALTHY = "unhealthy"
STARTING = "starting"
STALE = "stale"


@dataclass(frozen=True)
class DeploySpec:
    """What to serve and how.

    Attributes:
        name: the deployment name (a DNS-1123 label; also the model's name in V2 paths).
        folder: the packaged model folder (s2i or MLServer layout); local serving needs it.
        image: the serving image reference; cluster backends need it.
        replicas: how many serving replicas (cluster backends; local serving runs one process).
        port: the port to listen on (local backend; None picks a free one).
        canary: an optional second predictor taking part of the traffic:
            ``{"image": str, "traffic": int percent, "name": str (optional)}``.
        shadow: an optional predictor receiving a copy of every request, whose answers are
            discarded: ``{"image": str, "name": str (optional)}``.
        lineage: where the model came from (the package's lineage record), stored as is.
    """

    name: str
    folder: str | None = None
    image: str | None = None
    replicas: int = 1
    port: int | None = None
    canary: Mapping[str, Any] | None = None
    shadow: Mapping[str, Any] | None = None
    lineage: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy."""
        return {
            "name": self.name, "folder": self.folder, "image": self.image,
            "replicas": self.replicas, "port": self.port,
            "canary": dict(self.canary) if self.canary is not None else None,
            "shadow": dict(self.shadow) if self.shadow is not None else None,
            "lineage": dict(self.lineage),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeploySpec:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        return cls(
            name=str(data["name"]), folder=data.get("folder"), image=data.get("image"),
            replicas=int(data.get("replicas") or 1), port=data.get("port"),
            canary=data.get("canary"), shadow=data.get("shadow"),
            lineage=dict(data.get("lineage") or {}),
        )


class Deployer(ABC):
    """A serving backend. Implementations keep no state of their own beyond the store.

    Attributes:
        name: the backend's name as users select it (``"local"``, ``"seldon"``).
    """

    name: str = ""

    @abstractmethod
    def render(self, spec: DeploySpec) -> list[dict[str, Any]]:
        """What :meth:`deploy` would create (manifests, or a process description), no effects.

        Raises:
            DeployError: the spec cannot be served by this backend (say what is missing).
        """

    @abstractmethod
    def deploy(self, spec: DeploySpec) -> dict[str, Any]:
        """Start serving ``spec`` and record it; return the deployment record.

        Raises:
            DeployError: it could not be started (the message carries the reason and log tail).
            InvalidName: the name is not a DNS-1123 label.
        """

    @abstractmethod
    def status(self, name: str) -> dict[str, Any]:
        """The record of deployment ``name`` with live ``health`` and ``detail``.

        Raises:
            NotFound: there is no such deployment.
        """

    @abstractmethod
    def undeploy(self, name: str) -> None:
        """Stop serving ``name`` and remove its record (a stale record is just removed).

        Raises:
            NotFound: there is no such deployment.
        """

    @abstractmethod
    def endpoint(self, name: str) -> str:
        """The URL of the Seldon prediction endpoint of ``name`` (POST a SeldonMessage there).

        Raises:
            NotFound: there is no such deployment.
        """

    def list(self) -> list[dict[str, Any]]:
        """Every deployment this backend knows, each with live health (default: none)."""
        return []
