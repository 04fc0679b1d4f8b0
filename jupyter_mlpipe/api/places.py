"""Where the API looks: a project's folder on the outputs root, and whether it holds sweeps yet.

Front ends use :func:`project_place` to say *where* they looked when there is nothing to show,
and :meth:`Mlpipe.set_config` uses it to say that a newly chosen project has no sweeps yet — so
a mistyped project or outputs root is visible at once instead of looking like an empty list.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidName
from ..settings import Settings
from ..store import Store


@dataclass(frozen=True)
class ProjectPlace:
    """A project of the user on the outputs root.

    Attributes:
        project: the project name.
        path: its folder, ``<outputs_root>/<user>/<project>``.
        outputs_root: the outputs root in force.
        has_groups: whether the project holds at least one sweep.
        others: the user's other projects that hold sweeps, sorted.
    """

    project: str
    path: Path
    outputs_root: Path
    has_groups: bool
    others: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(path=str(self.path), outputs_root=str(self.outputs_root))
        data["others"] = list(self.others)
        return data

    def nothing_yet(self) -> str:
        """The sentence for a project without sweeps: where it looked and what to do."""
        text = (
            f"nothing yet: project {self.project!r} has no sweeps (looked in {self.path}) —"
            " start one with `mlpipe sweep -f FILE` (`%%mlpipe sweep` in a notebook)"
        )
        if self.others:
            text += f"; projects with sweeps under {self.outputs_root}: {', '.join(self.others)}"
        return text


def _holds_groups(store: Store) -> bool:
    try:
        return any(name.isdigit() for name in os.listdir(store.groups_dir))
    except OSError:  # no such folder yet, or not a folder
        return False


def project_place(settings: Settings, project: str | None = None) -> ProjectPlace:
    """Describe ``project`` (default: the ``project`` setting) on the outputs root in force.

    Args:
        settings: the settings in force (outputs root, user, project).
        project: the project to describe.

    Returns:
        Its folder and whether it, and which other projects of the user, hold sweeps.

    Raises:
        InvalidName: ``project`` is not a DNS-1123 label.
    """
    store = Store(settings.outputs_root, settings.user, project or settings.project)
    others = []
    try:
        siblings = sorted(os.listdir(store.path.parent))
    except OSError:
        siblings = []
    for name in siblings:
        if name == store.project:
            continue
        try:
            other = Store(settings.outputs_root, settings.user, name)
        except InvalidName:  # not a project folder (e.g. _deployments)
            continue
        if _holds_groups(other):
            others.append(name)
    return ProjectPlace(
        project=store.project,
        path=store.path,
        outputs_root=Path(settings.outputs_root),
        has_groups=_holds_groups(store),
        others=tuple(others),
    )
