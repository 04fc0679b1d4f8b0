"""Records describing a written package: what was copied, with which hashes, from where."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..store.display import Card, Shown, number, size, when

SELDON = "seldon"
MLSERVER = "mlserver"
FORMATS = (SELDON, MLSERVER)


@dataclass(frozen=True)
class CheckpointInfo:
    """One checkpoint file inside a package.

    Attributes:
        name: the file name inside the package folder.
        sha256: hex digest of the bytes copied (computed in the same pass as the copy).
        size: size in bytes.
    """

    name: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckpointInfo:
        return cls(name=str(data["name"]), sha256=str(data["sha256"]), size=int(data["size"]))


@dataclass(frozen=True)
class PackageInfo(Shown):
    """A package folder as written by :func:`jupyter_mlpipe.packaging.write_package`.

    Attributes:
        name: the package (and future deployment) name, a DNS-1123 label.
        path: absolute path of the package folder.
        format: ``"seldon"`` (s2i folder) or ``"mlserver"`` (Open Inference runtime folder).
        model_class: the user's model class name (also its module name).
        checkpoints: the copied checkpoints with their hashes.
        lineage: the full lineage record as written to ``lineage.json``.
        skipped: paths not copied because a link carried them outside the experiment's
            outputs folder (checkpoints) or the source folder (code); each was logged as a
            warning.
    """

    name: str
    path: str
    format: str
    model_class: str
    checkpoints: tuple[CheckpointInfo, ...] = ()
    lineage: Mapping[str, Any] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "format": self.format,
            "model_class": self.model_class,
            "checkpoints": [c.to_dict() for c in self.checkpoints],
            "lineage": dict(self.lineage),
            "skipped": list(self.skipped),
        }

    def card(self) -> Card:
        """What was packaged from where, and how to serve it."""
        lin = self.lineage
        source = (
            f"experiment {lin.get('experiment')} of group {lin.get('group')}"
            f" ({lin.get('project')})"
            if lin.get("experiment") is not None
            else "—"
        )
        metrics = lin.get("metrics") or {}
        files = ", ".join(
            f"{c.name} ({size(c.size)}, sha256 {c.sha256[:12]})" for c in self.checkpoints
        )
        lines = [
            ("from", source),
            ("metrics", ", ".join(f"{k}={number(v)}" for k, v in metrics.items()) or "—"),
            ("model", f"class {self.model_class} ({self.format} layout)"),
            ("files", files or "—"),
            ("folder", self.path),
            ("packaged", when(lin.get("selected_at"))),
        ]
        steps = [
            f"mlpipe deploy {self.name}",
            f"mlpipe build {self.name} --image REGISTRY/{self.name}:v1",
        ]
        return Card(f"package {self.name}", "", lines, steps)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PackageInfo:
        return cls(
            name=str(data["name"]),
            path=str(data["path"]),
            format=str(data["format"]),
            model_class=str(data["model_class"]),
            checkpoints=tuple(CheckpointInfo.from_dict(c) for c in data.get("checkpoints", ())),
            lineage=dict(data.get("lineage", {})),
            skipped=tuple(str(p) for p in data.get("skipped", ())),
        )
