"""The store: a project's sweeps on the outputs volume, in Polyaxon's layout.

``<root>/<user>/<project>/groups/<group>/<experiment>/`` is the experiment's outputs path; beside
what the training code saves there it holds ``params.json``, ``status.json``, ``metrics.jsonl``
and ``output.log``. ``<root>/<user>/<project>/experiments/<id>`` is a symlink to the experiment's
folder: creating it is how an experiment id is claimed (``symlink`` is atomic and fails when the
name exists, on local disks and NFS alike), and reading it finds the group of an experiment id.
Group ids are claimed the same way with ``mkdir``. Ids are therefore unique per project even when
several processes create groups at the same moment.

Control requests (stop) are marker files under ``groups/<group>/control/``: any process may
create one, the group's supervisor acts on it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import NotFound, StoreError
from .files import append_jsonl, atomic_write_json, atomic_write_text, read_json, tail_lines
from .names import is_id, safe_join, validate_name
from .reader import (
    EVENTS,
    GROUP,
    LOG,
    METRICS,
    PARAMS,
    SPEC,
    STATUS,
    read_events,
    read_params,
    read_status,
)
from .records import ExperimentRecord, ExperimentStatus, GroupRecord

log = logging.getLogger("jupyter_mlpipe")



def _int_names(folder: Path) -> list[int]:
    try:
        return sorted(int(n) for n in os.listdir(folder) if is_id(n))
    except FileNotFoundError:
        return []


class Store:
    """One project of one user on the outputs root.

    Args:
        root: the outputs root (``Settings.outputs_root``).
        user: the user part of the layout.
        project: the project name (a DNS-1123 label).

    Raises:
        InvalidName: the user or project would not make a safe folder name.
    """

    def __init__(self, root: Path | str, user: str, project: str) -> None:
        self.root = Path(root)
        self.user = user
        self.project = validate_name(project, "project")
        self.path = safe_join(self.root, user, self.project)

    # -- paths ------------------------------------------------------------------------------
    @property
    def groups_dir(self) -> Path:
        return self.path / "groups"

    @property
    def index_dir(self) -> Path:
        return self.path / "experiments"

    def group_dir(self, group: int) -> Path:
        return self.groups_dir / str(int(group))

    def experiment_dir(self, experiment: int) -> Path:
        """The experiment's folder (its outputs path).

        Raises:
            NotFound: no experiment with that id in this project.
        """
        link = self.index_dir / str(int(experiment))
        try:
            target = os.readlink(link)
        except FileNotFoundError:
            raise NotFound(
                f"experiment {experiment} does not exist in project {self.project!r}"
                f" — list them with `mlpipe experiments GROUP`"
            ) from None
        parts = target.split("/")
        digits = all(is_id(p) for p in parts[2:])
        if len(parts) == 4 and parts[:2] == ["..", "groups"] and digits:
            return self.groups_dir / parts[2] / parts[3]  # the form create_experiments writes
        raise StoreError(
            f"{link} points to {target!r}, not to an experiment folder — it was"
            " changed by hand; restore it or remove it"
        )

    def group_of(self, experiment: int) -> int:
        return int(self.experiment_dir(experiment).parent.name)

    def metrics_path(self, experiment: int) -> Path:
        return self.experiment_dir(experiment) / METRICS

    def log_path(self, experiment: int) -> Path:
        return self.experiment_dir(experiment) / LOG

    def control_dir(self, group: int) -> Path:
        return self.group_dir(group) / "control"

    # -- groups -----------------------------------------------------------------------------
    def create_group(self, make_record: Any, spec_text: str) -> GroupRecord:
        """Claim the next group id and write its record and spec.

        Args:
            make_record: called with the new id, returns the GroupRecord to write.
            spec_text: the spec exactly as submitted.
        """
        self.groups_dir.mkdir(parents=True, exist_ok=True)
        candidate = (_int_names(self.groups_dir) or [0])[-1] + 1
        while True:
            try:
                os.mkdir(self.group_dir(candidate))
                break
            except FileExistsError:
                candidate += 1
        record: GroupRecord = make_record(candidate)
        atomic_write_text(self.group_dir(candidate) / SPEC, spec_text)
        self.write_group(record)
        return record

    def write_group(self, record: GroupRecord) -> None:
        atomic_write_json(self.group_dir(record.id) / GROUP, record.to_dict())

    def read_group(self, group: int) -> GroupRecord:
        """Raises NotFound when the group does not exist (or is still being created)."""
        path = self.group_dir(group) / GROUP
        try:
            return GroupRecord.from_dict(read_json(path))
        except FileNotFoundError:
            raise NotFound(
                f"group {group} does not exist in project {self.project!r} — list them with"
                " `mlpipe groups`"
            ) from None
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"{path} is damaged ({exc}) — it was edited by hand; restore it or remove the"
                " group's folder"
            ) from exc

    def read_spec_text(self, group: int) -> str:
        return (self.group_dir(group) / SPEC).read_text(encoding="utf-8")

    def groups(self) -> list[GroupRecord]:
        out = []
        for gid in _int_names(self.groups_dir):
            try:
                out.append(self.read_group(gid))
            except NotFound:  # a group being created right now
                continue
            except StoreError as exc:  # damaged by hand: the others stay listed
                log.warning("leaving group %s out of the listing: %s", gid, exc)
        return out

    def log_event(self, group: int, event: str, actor: str = "", **details: Any) -> None:
        """Append to the group's event log: who did what, when."""
        entry = {"time": time.time(), "event": event, "actor": actor or _actor(), **details}
        append_jsonl(self.group_dir(group) / EVENTS, entry)

    def events(self, group: int) -> list[dict[str, Any]]:
        return read_events(self.group_dir(group) / EVENTS)

    # -- experiments ------------------------------------------------------------------------
    def create_experiments(self, group: int, params_list: list[dict[str, Any]]) -> list[int]:
        """Claim one experiment id per params dict, create the folders, write params and status."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        candidate = (_int_names(self.index_dir) or [0])[-1] + 1
        ids = []
        now = time.time()
        for params in params_list:
            while True:
                target = f"../groups/{int(group)}/{candidate}"
                try:
                    os.symlink(target, self.index_dir / str(candidate))
                    break
                except FileExistsError:
                    candidate += 1
            folder = self.group_dir(group) / str(candidate)
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_json(folder / PARAMS, params)
            self.write_status(candidate, ExperimentStatus(created=now, attempt=1), folder=folder)
            ids.append(candidate)
            candidate += 1
        return ids

    def write_status(
        self, experiment: int, status: ExperimentStatus, folder: Path | None = None
    ) -> None:
        atomic_write_json((folder or self.experiment_dir(experiment)) / STATUS, status.to_dict())

    def mark_exit(self, experiment: int, attempt: int, code: int) -> None:
        """Note that ``attempt`` of the experiment exited with ``code``.

        The note is an empty file named ``.exit-<attempt>-<code>``: creating it needs an inode
        but no data block, so it succeeds on a full volume where the status record cannot be
        rewritten, and reconciliation can still tell a finished trial from an interrupted one.

        Raises:
            OSError: the note could not be created either.
        """
        path = self.experiment_dir(experiment) / f".exit-{int(attempt)}-{int(code)}"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644))

    def exit_code(self, experiment: int, attempt: int) -> int | None:
        """The exit code :meth:`mark_exit` noted for ``attempt``, or None."""
        prefix = f".exit-{int(attempt)}-"
        try:
            names = os.listdir(self.experiment_dir(experiment))
        except FileNotFoundError:
            return None
        for name in names:
            code = name[len(prefix):]
            if name.startswith(prefix) and is_id(code.removeprefix("-")):
                return int(code)
        return None

    def read_status(self, experiment: int) -> ExperimentStatus:
        """The status record (read by :func:`.reader.read_status`: damage reads as unknown)."""
        return read_status(self.experiment_dir(experiment))

    def read_experiment(self, experiment: int) -> ExperimentRecord:
        folder = self.experiment_dir(experiment)
        return self._experiment_at(folder)

    @staticmethod
    def _experiment_at(folder: Path) -> ExperimentRecord:
        params, _ = read_params(folder)
        return ExperimentRecord(
            id=int(folder.name),
            group=int(folder.parent.name),
            params=params or {},
            state=read_status(folder),
            path=str(folder),
        )

    def experiments(self, group: int) -> list[ExperimentRecord]:
        """Every experiment of a group, by id. Raises NotFound for an unknown group."""
        self.read_group(group)
        return [
            self._experiment_at(self.group_dir(group) / str(e)) for e in self.experiment_ids(group)
        ]

    def statuses(self, group: int) -> list[ExperimentStatus]:
        """The status of every experiment of a group (no params read: cheap to poll)."""
        return [read_status(self.group_dir(group) / str(e)) for e in self.experiment_ids(group)]

    def experiment_ids(self, group: int) -> list[int]:
        return _int_names(self.group_dir(group))

    def iter_log(self, experiment: int) -> Iterator[str]:
        """The experiment's output lines, read as they are iterated (never the whole file)."""
        path = self.log_path(experiment)
        if not path.exists():
            return iter(())
        return _read_lines(path)

    def tail(self, experiment: int, lines: int, max_bytes: int = 1 << 20) -> list[str]:
        """The last ``lines`` lines of the experiment's output, without newlines, reading at
        most ``max_bytes`` from the end of the log (see :func:`.files.tail_lines`).

        Raises:
            NotFound: the experiment does not exist.
        """
        return tail_lines(self.log_path(experiment), lines, max_bytes)

    # -- control ----------------------------------------------------------------------------
    def request_stop(self, group: int, experiment: int | None = None) -> None:
        """Ask the group's supervisor to stop one experiment (or all with None)."""
        name = "stop-all" if experiment is None else f"stop-{int(experiment)}"
        folder = self.control_dir(group)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / name, str(time.time()))

    def stop_requests(self, group: int) -> tuple[bool, set[int]]:
        """(whole group stop requested, experiment ids asked to stop)."""
        try:
            names = os.listdir(self.control_dir(group))
        except FileNotFoundError:
            return False, set()
        ids = {int(n[5:]) for n in names if n.startswith("stop-") and is_id(n[5:])}
        return "stop-all" in names, ids


def _actor() -> str:
    import getpass
    import socket

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = f"uid {os.getuid()}"
    return f"{who}@{socket.gethostname()} pid {os.getpid()}"


class DeploymentStore:
    """Deployment records: ``<root>/<user>/_deployments/<name>.json`` (one file per deployment)."""

    def __init__(self, root: Path | str, user: str) -> None:
        self.path = safe_join(Path(root), user, "_deployments")

    def _file(self, name: str) -> Path:
        return self.path / f"{validate_name(name, 'deployment')}.json"

    def save(self, record: dict[str, Any]) -> None:
        atomic_write_json(self._file(record["name"]), record)

    def get(self, name: str) -> dict[str, Any]:
        try:
            data = read_json(self._file(name))
        except FileNotFoundError:
            raise NotFound(
                f"deployment {name!r} does not exist — list them with `mlpipe deployments`"
            ) from None
        if not isinstance(data, dict):
            raise StoreError(f"{self._file(name)} does not hold a deployment record")
        return data

    def list(self) -> list[dict[str, Any]]:
        try:
            names = sorted(n[:-5] for n in os.listdir(self.path) if n.endswith(".json"))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            try:
                out.append(self.get(name))
            except (NotFound, StoreError):
                continue
        return out

    def remove(self, name: str) -> None:
        try:
            os.unlink(self._file(name))
        except FileNotFoundError:
            pass


def _read_lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        yield from fh
