"""Pieces shared by every renderer: object names, labels, volumes and the settings they read.

Everything here is pure: dictionaries in, dictionaries out. Object names are DNS-1123 labels
(at most 63 characters) derived from the user's names, so a project called ``My_Project`` still
yields a valid Job name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Label and annotation keys linking cluster objects to the store.
GROUP = "mlpipe.io/group"
EXPERIMENT = "mlpipe.io/experiment"
PROJECT = "mlpipe.io/project"
USER = "mlpipe.io/user"
COMPONENT = "mlpipe.io/component"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "jupyter-mlpipe"

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
_NOT_VALUE = re.compile(r"[^A-Za-z0-9_.-]+")


def dns_label(*parts: object, limit: int = 63) -> str:
    """Join ``parts`` into a DNS-1123 label, shortening with a stable hash when too long.

    >>> dns_label("mlpipe", "My_Project", "g", 12)
    'mlpipe-my-project-g-12'
    """
    raw = "-".join(str(p) for p in parts)
    text = _NOT_LABEL.sub("-", raw.lower()).strip("-") or "x"
    text = re.sub(r"-{2,}", "-", text)
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return text[: limit - 9].rstrip("-") + "-" + digest


def label_value(value: object) -> str:
    """A valid label value (≤ 63 chars of ``[A-Za-z0-9_.-]``, alphanumeric at both ends)."""
    text = _NOT_VALUE.sub("-", str(value)).strip("-_.")
    if len(text) > 63:
        text = text[:54].rstrip("-_.") + "-" + hashlib.sha256(str(value).encode()).hexdigest()[:8]
    return text


@dataclass(frozen=True)
class ClusterPaths:
    """Where the shared volumes live: claim names and the paths every pod mounts them at.

    The paths equal the JupyterLab pod's (``outputs_root``, ``data_root``, ``repos_root``) so a
    path written in the notebook means the same file in a trial pod.
    """

    namespace: str = "default"
    outputs_pvc: str = "mlpipe-outputs"
    data_pvc: str = "mlpipe-data"
    repos_pvc: str = "mlpipe-repos"
    outputs_root: str = "/outputs"
    data_root: str = "/data"
    repos_root: str = "/repos"
    service_account: str = "mlpipe"

    @classmethod
    def from_settings(cls, settings: Any) -> ClusterPaths:
        """Read the cluster-related values from a :class:`~jupyter_mlpipe.settings.Settings`."""
        return cls(
            namespace=settings.namespace,
            outputs_pvc=settings.outputs_pvc,
            data_pvc=settings.data_pvc,
            repos_pvc=settings.repos_pvc,
            outputs_root=str(settings.outputs_root),
            data_root=str(settings.data_root),
            repos_root=str(settings.repos_root),
            service_account=settings.service_account,
        )

    def volumes(self) -> list[dict[str, Any]]:
        """The three PVC-backed pod volumes (outputs, data, repos)."""
        return [
            {"name": "outputs", "persistentVolumeClaim": {"claimName": self.outputs_pvc}},
            {"name": "data", "persistentVolumeClaim": {"claimName": self.data_pvc}},
            {"name": "repos", "persistentVolumeClaim": {"claimName": self.repos_pvc}},
        ]

    def mounts(self, *, data_read_only: bool = True) -> list[dict[str, Any]]:
        """Mounts for the three volumes at the shared paths."""
        return [
            {"name": "outputs", "mountPath": self.outputs_root},
            {"name": "data", "mountPath": self.data_root, "readOnly": data_read_only},
            {"name": "repos", "mountPath": self.repos_root},
        ]


def metadata(name: str, namespace: str, labels: Mapping[str, str],
             annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An object's ``metadata`` with our managed-by label added."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace,
                            "labels": {MANAGED_BY: MANAGER, **labels}}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta
