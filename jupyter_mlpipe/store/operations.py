"""Operation records: long work (ship: best → package → build → deploy) that any process can watch.

Layout, per user on the outputs root::

    <outputs_root>/<user>/_operations/<id>.json          the record (atomic rewrites)
    <outputs_root>/<user>/_operations/<id>.events.jsonl  progress lines (append-only)

The process running an operation is its only writer. Every reader — the CLI, a kernel, any
Jupyter server — reads the same files. A record names its owner process (pid and start time):
a record still ``queued`` or ``running`` whose owner is gone is reported as failed with an
``Interrupted`` error (the file itself is left as it is).

Records are checked on the way in and on the way out. A file that is not JSON, or holds values
no writer of ours produces (an id that is not 12 hex digits, a bool where an int belongs, an int
beyond 2**53 that JavaScript cannot hold, a NaN, a nest deeper than any result) reads as a
*damaged* record — ``status == "damaged"``, the reason in ``error`` — so one bad file never hides
the others or fails a whole listing.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import proc
from ..errors import InvalidArgument, NotFound, StoreError
from .checks import (
    choice_field,
    object_field,
    short,
    text_field,
    time_field,
)
from .display import Card, Shown, span, when
from .files import append_jsonl, atomic_write_json, read_json
from .names import safe_join
from .reader import read_object_lines

#: Status of an operation; ``damaged`` only ever comes from reading an unusable file.
OPERATION_STATES = ("queued", "running", "succeeded", "failed", "damaged")
LIVE = ("queued", "running")
#: Status of one step.
STEP_STATES = ("pending", "running", "succeeded", "failed", "skipped")
#: What an operation may be (the REST ``action``): ``ship`` is what is written now; the others
#: are read from records of earlier versions; ``unknown`` marks a damaged record.
ACTIONS = ("ship", "deploy-best", "deploy-experiment", "package", "build", "deploy", "unknown")
STEP_NAMES = ("best", "package", "build", "deploy")

_OP_ID = re.compile(r"[0-9a-f]{12}")


def new_operation_id() -> str:
    """A fresh random operation id (12 hex digits)."""
    return secrets.token_hex(6)


def check_operation_id(op_id: object) -> str:
    """Return ``op_id`` if it is 12 lowercase hex digits.

    Raises:
        InvalidArgument: anything else (it would otherwise become part of a path).
    """
    if not isinstance(op_id, str) or not _OP_ID.fullmatch(op_id):
        raise InvalidArgument(f"operation id must be 12 hex digits, got {op_id!r}")
    return op_id


@dataclass(frozen=True)
class OperationStep:
    """One step of an operation and how it went.

    Attributes:
        name: ``best``, ``package``, ``build`` or ``deploy``.
        status: ``pending``, ``running``, ``succeeded``, ``failed`` or ``skipped``.
        started: when it started (seconds since the epoch), or None.
        finished: when it ended, or None.
        message: one line on what it did (or why it failed or was skipped).
    """

    name: str
    status: str = "pending"
    started: float | None = None
    finished: float | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Any) -> OperationStep:
        """Check and read one step.

        Raises:
            StoreError: a field is missing or holds a value no writer produces.
        """
        if not isinstance(data, Mapping):
            raise StoreError(f"a step must be an object, got {short(data)}")
        return cls(
            name=choice_field(data, "name", STEP_NAMES),
            status=choice_field(data, "status", STEP_STATES),
            started=time_field(data, "started", optional=True),
            finished=time_field(data, "finished", optional=True),
            message=text_field(data, "message", ""),
        )


@dataclass(frozen=True)
class Owner:
    """The process running an operation (pid plus start time, so a reused pid is not it)."""

    pid: int
    create_time: float | None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(pid, proc.process_create_time(pid))

    def alive(self) -> bool:
        try:
            return proc.pid_alive(self.pid, self.create_time)
        except (OverflowError, ValueError):  # a pid no kernel hands out
            return False

    def to_dict(self) -> dict[str, Any]:
        return {"pid": self.pid, "create_time": self.create_time}

    @classmethod
    def from_dict(cls, data: Any) -> Owner:
        if not isinstance(data, Mapping):
            raise StoreError(f"field 'owner' must be an object, got {short(data)}")
        pid = data.get("pid")
        if isinstance(pid, bool) or not isinstance(pid, int) or not 0 < pid < 2**31:
            raise StoreError(f"owner pid must be a process id, got {short(pid)}")
        return cls(pid, time_field(data, "create_time", optional=True))


@dataclass(frozen=True, repr=False)
class OperationRecord(Shown):
    """One operation as stored and as every front end shows it.

    Attributes:
        id: 12 hex digits.
        action: what was asked (``ship``, ``deploy-best``, ``deploy-experiment``).
        status: ``queued``, ``running``, ``succeeded``, ``failed`` (or ``damaged``, see module).
        created, updated: seconds since the epoch.
        steps: the steps in order, each with its own status.
        request: what was asked, as JSON (project, group, experiment, name, image ...).
        result: per finished step, what it produced (the experiment, the package, ...).
        error: ``{"type", "message"}`` of the failure, or None.
        owner: the process running it (None for a damaged record).
    """

    id: str
    action: str
    status: str
    created: float
    updated: float
    steps: tuple[OperationStep, ...] = ()
    request: Mapping[str, Any] = field(default_factory=dict)
    result: Mapping[str, Any] = field(default_factory=dict)
    error: Mapping[str, str] | None = None
    owner: Owner | None = None

    @property
    def finished(self) -> bool:
        return self.status not in LIVE

    def __repr__(self) -> str:
        steps = ", ".join(f"{s.name} {s.status}" for s in self.steps)
        error = f" — {self.error['message']}" if self.error else ""
        return f"<operation {self.id}: {self.action} {self.status} ({steps}){error}>"

    def card(self) -> Card:
        """Each step with how it went, the failure if any, and how to use what it made."""
        lines = [("started", when(self.created))]
        for step in self.steps:
            took = ""
            if step.status != "skipped" and step.started and step.finished:
                took = f" in {span(step.finished - step.started)}"
            said = f" — {step.message}" if step.message else ""
            lines.append((step.name, f"{step.status}{took}{said}"))
        note = f"{self.error.get('type')}: {self.error.get('message')}" if self.error else ""
        deployed = self.result.get("deploy") if isinstance(self.result, Mapping) else None
        name = deployed.get("name") if isinstance(deployed, Mapping) else None
        steps = [f"mlpipe predict {name} INPUT", f"mlpipe undeploy {name}"] if name else []
        if self.status in ("queued", "running"):
            steps = [f"mlpipe operations {self.id}"]
        return Card(f"operation {self.id} ({self.action})", self.status, lines, steps, note)

    def step(self, name: str) -> OperationStep:
        """The step called ``name`` (KeyError if the operation has none)."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def with_step(self, name: str, **changes: Any) -> OperationRecord:
        """A copy with step ``name`` changed (and ``updated`` set to now)."""
        steps = tuple(replace(s, **changes) if s.name == name else s for s in self.steps)
        return replace(self, steps=steps, updated=time.time())

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the file's content and the REST ``Operation``)."""
        return {
            "id": self.id,
            "action": self.action,
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
            "steps": [s.to_dict() for s in self.steps],
            "request": dict(self.request),
            "result": dict(self.result),
            "error": None if self.error is None else dict(self.error),
            "owner": None if self.owner is None else self.owner.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> OperationRecord:
        """Check and read a record.

        Raises:
            StoreError: the data is not a record this package writes (see the module).
        """
        if not isinstance(data, Mapping):
            raise StoreError(f"an operation record must be an object, got {short(data)}")
        steps = data.get("steps") or []
        if not isinstance(steps, list) or len(steps) > len(STEP_NAMES):
            raise StoreError(f"field 'steps' must be a list of steps, got {short(steps)}")
        error = data.get("error")
        if error is not None:
            if not isinstance(error, Mapping):
                raise StoreError(f"field 'error' must be an object, got {short(error)}")
            error = {"type": text_field(error, "type"), "message": text_field(error, "message")}
        owner = data.get("owner", data.get("server"))  # "server": records of older versions
        return cls(
            id=check_operation_id(text_field(data, "id")),
            action=choice_field(data, "action", ACTIONS[:-1]),
            status=choice_field(data, "status", OPERATION_STATES[:-1]),
            created=time_field(data, "created") or 0.0,
            updated=time_field(data, "updated") or 0.0,
            steps=tuple(OperationStep.from_dict(s) for s in steps),
            request=object_field(data, "request"),
            result=object_field(data, "result"),
            error=error,
            owner=None if owner is None else Owner.from_dict(owner),
        )

    @classmethod
    def damaged(cls, op_id: str, reason: str, when: float = 0.0) -> OperationRecord:
        """What an unreadable record file reads as."""
        return cls(
            id=op_id,
            action="unknown",
            status="damaged",
            created=when,
            updated=when,
            error={
                "type": "DamagedRecord",
                "message": f"{reason} — remove the file if it is not needed",
            },
        )

    def interrupted(self) -> OperationRecord:
        """This record as readers see it: failed if it is live but its owner is gone."""
        if self.finished or (self.owner is not None and self.owner.alive()):
            return self
        steps = tuple(
            replace(s, status="failed", message="interrupted") if s.status == "running" else s
            for s in self.steps
        )
        return replace(
            self,
            status="failed",
            steps=steps,
            error={
                "type": "Interrupted",
                "message": "the process running this operation stopped before it finished"
                " — start it again",
            },
        )


@dataclass(frozen=True)
class OperationEvent:
    """One progress line of an operation (``step`` is None for the operation as a whole)."""

    time: float
    step: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "step": self.step, "message": self.message}

    @classmethod
    def from_dict(cls, data: Any) -> OperationEvent:
        if not isinstance(data, Mapping):
            raise StoreError(f"an event must be an object, got {short(data)}")
        step = data.get("step")
        if step is not None and step not in STEP_NAMES:
            raise StoreError(f"event step must be one of {', '.join(STEP_NAMES)}, got {step!r}")
        return cls(time_field(data, "time") or 0.0, step, text_field(data, "message"))


class OperationStore:
    """The operation records of one user (see the module for layout and rules).

    Args:
        outputs_root: the outputs root.
        user: the user part of the layout.
    """

    def __init__(self, outputs_root: Path | str, user: str) -> None:
        self.folder = safe_join(Path(outputs_root), user, "_operations")

    def path(self, op_id: str) -> Path:
        return self.folder / f"{check_operation_id(op_id)}.json"

    def events_path(self, op_id: str) -> Path:
        return self.folder / f"{check_operation_id(op_id)}.events.jsonl"

    def save(self, record: OperationRecord) -> None:
        """Write ``record`` atomically (checked first: a bad value never reaches the file)."""
        data = record.to_dict()
        OperationRecord.from_dict(data)
        atomic_write_json(self.path(record.id), data)

    def get(self, op_id: str) -> OperationRecord:
        """One record, as readers see it (interrupted and damaged as the module says).

        Raises:
            InvalidArgument: ``op_id`` is not 12 hex digits.
            NotFound: no such operation.
        """
        path = self.path(op_id)
        try:
            data = read_json(path)
        except FileNotFoundError:
            raise NotFound(
                f"no operation {op_id!r} — `mlpipe operations` or GET operations lists them"
            ) from None
        except (StoreError, OSError, ValueError, RecursionError) as exc:
            return OperationRecord.damaged(op_id, str(exc), _mtime(path))
        try:
            return OperationRecord.from_dict(data).interrupted()
        except (StoreError, InvalidArgument) as exc:
            return OperationRecord.damaged(op_id, f"{path} is damaged: {exc}", _mtime(path))

    def append_event(self, op_id: str, event: OperationEvent) -> None:
        append_jsonl(self.events_path(op_id), event.to_dict())

    def events(self, op_id: str, offset: int = 0) -> tuple[list[OperationEvent], int]:
        """Progress lines from byte ``offset``, and the offset to continue from.

        Lines that are not events (a foreign writer) are skipped; a torn last line waits.
        """
        lines, end = read_object_lines(self.events_path(op_id), offset)
        events = []
        for line in lines:
            try:
                events.append(OperationEvent.from_dict(line))
            except StoreError:
                continue
        return events, end

    def list(self, limit: int = 50) -> list[OperationRecord]:
        """The newest ``limit`` records, newest first (damaged ones included, as such)."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        ids = [n[:-5] for n in names if n.endswith(".json") and _OP_ID.fullmatch(n[:-5])]
        paths = sorted((self.folder / f"{i}.json" for i in ids), key=_mtime, reverse=True)
        records = []
        for path in paths[: max(0, limit)]:
            try:
                records.append(self.get(path.stem))
            except NotFound:
                continue  # removed meanwhile
        return records


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
