"""Records kept on the outputs volume, as frozen dataclasses with explicit (de)serialisation."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

#: Experiment states. The first two are live; the rest are final.
QUEUED, RUNNING = "queued", "running"
SUCCEEDED, FAILED, STOPPED, TIMED_OUT = "succeeded", "failed", "stopped", "timed-out"
LIVE_STATES = frozenset({QUEUED, RUNNING})
FINAL_STATES = frozenset({SUCCEEDED, FAILED, STOPPED, TIMED_OUT})
EXPERIMENT_STATES = LIVE_STATES | FINAL_STATES
#: The states in the order tables show them.
EXPERIMENT_STATES_ORDER = (QUEUED, RUNNING, SUCCEEDED, FAILED, STOPPED, TIMED_OUT)

#: What an experiment whose status record cannot be read shows (neither live nor final).
UNKNOWN = "unknown"
#: The states in the order tables show them, with ``unknown`` last.
STATES_SHOWN = (*EXPERIMENT_STATES_ORDER, UNKNOWN)

#: Group states: running while its supervisor drives it, then one final state.
GROUP_STATES = frozenset({"created", "running", "succeeded", "failed", "stopped"})

#: Directions of an objective.
MODES = ("min", "max")


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


#: Checks by annotation: a record edited by hand (or damaged) is refused when it is read,
#: never half-accepted to break a reader later (``"started": "yesterday"``).
_CHECKS = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "int | None": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    "float": _is_number,
    "float | None": lambda v: v is None or _is_number(v),
}


def _from_dict(cls: Any, data: dict[str, Any]) -> Any:
    """Build ``cls`` from the known keys of ``data``, checking each simple field's type.

    Raises:
        TypeError: ``data`` is not a mapping, or a field holds a value of the wrong type.
    """
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} record must be a JSON object, got {type(data).__name__}")
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        check = _CHECKS.get(str(f.type))
        if check is not None and not check(data[f.name]):
            raise TypeError(f"{cls.__name__}.{f.name} must be {f.type}, got {data[f.name]!r:.60}")
        values[f.name] = data[f.name]
    return cls(**values)


@dataclass(frozen=True)
class Objective:
    """What a sweep optimises: one metric and a direction.

    The objective belongs to the group (recorded in ``group.json``): ``best``, the plots, the
    dashboard, the sidebar and ``ship`` default to it, so every front end picks the same winner.

    Attributes:
        metric: the metric's name as the training code logs it.
        mode: ``"min"`` or ``"max"``.
    """

    metric: str
    mode: str

    def __post_init__(self) -> None:
        from ..errors import InvalidArgument

        if self.mode not in MODES:
            raise InvalidArgument(
                f"an objective's direction is 'min' or 'max', got {self.mode!r}"
                f" — write it as {self.metric}:min or {self.metric}:max"
            )
        if not isinstance(self.metric, str) or not self.metric.strip():
            raise InvalidArgument(
                f"an objective needs a metric name, got {self.metric!r} — e.g. accuracy:max"
            )

    @classmethod
    def parse(cls, text: str) -> Objective:
        """``"accuracy:max"`` → ``Objective("accuracy", "max")``.

        Raises:
            InvalidArgument: not ``METRIC:min`` or ``METRIC:max``.
        """
        from ..errors import InvalidArgument

        metric, sep, mode = str(text).strip().rpartition(":")
        if not sep or not metric:
            raise InvalidArgument(
                f"an objective is METRIC:min or METRIC:max, got {text!r} — e.g. accuracy:max"
                " or loss:min"
            )
        return cls(metric.strip(), mode.strip().lower())

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b`` in this direction."""
        return a < b if self.mode == "min" else a > b

    def __str__(self) -> str:
        return f"{self.metric}:{self.mode}"

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "mode": self.mode}

    @classmethod
    def from_dict(cls, data: Any) -> Objective | None:
        """The objective of a record, or None when it has none or an unusable one."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(str(data["metric"]), str(data["mode"]))
        except (KeyError, ValueError):
            return None


@dataclass(frozen=True)
class Supervisor:
    """Who drives a group: a detached local process (pid + its start time, to survive pid reuse)."""

    pid: int
    create_time: float
    host: str
    started: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Supervisor:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class GroupRecord:
    """A sweep: written when it is created, then updated by its supervisor only."""

    id: int
    project: str
    user: str
    name: str
    created: float
    spec_file: str
    project_dir: str
    algorithm: str
    backend: str
    concurrency: int
    planned: int | None
    kind: str = "group"
    status: str = "created"
    finished: float | None = None
    message: str = ""
    max_retries: int = 0
    timeout: float | None = None
    #: The search seed: the spec's, or one drawn at creation so a restart replays the search.
    seed: int | None = None
    #: When ``mlpipe resume`` last restarted the group (its creation time stays as it was).
    resumed: float | None = None
    supervisor: Supervisor | None = None
    #: What the sweep optimises (from the spec or ``--objective``); None when nobody said.
    objective: Objective | None = None
    #: Descriptive keys of the spec (name, description, tags, framework ...), kept as written.
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["supervisor"] = self.supervisor.to_dict() if self.supervisor else None
        data["objective"] = self.objective.to_dict() if self.objective else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupRecord:
        data = dict(data)
        sup = data.get("supervisor")
        data["supervisor"] = Supervisor.from_dict(sup) if sup else None
        data["objective"] = Objective.from_dict(data.get("objective"))
        if not isinstance(data.get("metadata"), dict):
            data["metadata"] = {}
        return _from_dict(cls, data)

    def evolve(self, **changes: Any) -> GroupRecord:
        return replace(self, **changes)


@dataclass(frozen=True)
class ExperimentStatus:
    """The status record of one experiment (``status.json``); its supervisor is the only writer."""

    status: str = QUEUED
    created: float | None = None
    started: float | None = None
    finished: float | None = None
    exit_code: int | None = None
    attempt: int = 0
    pid: int | None = None
    pid_create_time: float | None = None
    message: str = ""
    #: Why a stopped experiment stopped: "user", "pruned", "early-stopping", "lost" (its
    #: supervisor died) or "" — a "lost" experiment that never started is run on resume.
    reason: str = ""

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def duration(self) -> float | None:
        if self.started is None:
            return None
        if self.finished is None:
            return None
        return max(0.0, self.finished - self.started)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentStatus:
        """Raises TypeError for a record of the wrong shape (:mod:`.reader` checks the rest)."""
        return _from_dict(cls, data)

    def evolve(self, **changes: Any) -> ExperimentStatus:
        return replace(self, **changes)


@dataclass(frozen=True)
class ExperimentRecord:
    """What is known of one experiment: its identity, params and status."""

    id: int
    group: int
    params: dict[str, Any] = field(default_factory=dict)
    state: ExperimentStatus = field(default_factory=ExperimentStatus)
    path: str = ""

    @property
    def status(self) -> str:
        return self.state.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "params": self.params,
            "path": self.path,
            **self.state.to_dict(),
        }
