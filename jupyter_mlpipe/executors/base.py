"""The executor interface: how trials are started, watched, stopped and read.

An executor runs trials somewhere (local processes, Kubernetes Jobs). It is small on purpose:
scheduling, retries, early stopping and bookkeeping live once, in the sweep driver above it
(:mod:`jupyter_mlpipe.engine.driver`), which writes what the executor observes into the store.
Every implementation passes the contract suite in ``tests/contract/``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..store import GroupRecord


@dataclass(frozen=True)
class TrialLaunch:
    """One attempt of one experiment.

    Attributes:
        experiment: the experiment id (its folder name).
        attempt: 1 for the first run, 2 for the first retry ...
        argv: the command, one element per argument; no shell is involved.
        env: extra environment variables (params, outputs path ...).
        cwd: the project folder the command runs in.
        params: the experiment's params (for executors that ship them separately).
        timeout: seconds after which the attempt is stopped and marked timed-out.
    """

    experiment: int
    attempt: int
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = "."
    params: Mapping[str, Any] = field(default_factory=dict)
    timeout: float | None = None


@dataclass(frozen=True)
class TrialUpdate:
    """A change an executor observed.

    ``status`` is one of running, succeeded, failed, stopped, timed-out.
    """

    experiment: int
    status: str
    exit_code: int | None = None
    pid: int | None = None
    pid_create_time: float | None = None
    message: str = ""


class Executor(ABC):
    """Runs the trials of one group."""

    #: The backend name (``local``, ``kubernetes``).
    name: str = ""

    @abstractmethod
    def start(self, group: GroupRecord, launches: Sequence[TrialLaunch], parallelism: int) -> None:
        """Queue ``launches``; at most ``parallelism`` of this group's trials run at once."""

    @abstractmethod
    def poll(self, timeout: float = 0.0) -> list[TrialUpdate]:
        """Return what changed since the last call, waiting up to ``timeout`` s for news."""

    @abstractmethod
    def stop(self, experiments: Sequence[int] | None = None) -> None:
        """Stop the given experiments (all of this executor's with None); their final updates
        (``stopped``) are returned by the next :meth:`poll`."""

    @abstractmethod
    def logs(self, experiment: int, follow: bool = False) -> Iterator[str]:
        """The experiment's output, line by line; with ``follow`` until it ends."""

    @abstractmethod
    def active(self) -> int:
        """How many trials are queued or running here."""

    def adopt(self, group: GroupRecord, experiments: Sequence[int]) -> set[int]:
        """Take over ``experiments`` (queued or running when an earlier supervisor of ``group``
        ended) whose trials still run where this executor runs them; return those adopted.
        Their updates then arrive through :meth:`poll` as if this executor had started them.
        Default: nothing survives its supervisor (local trials are killed with it)."""
        return set()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (watches, connections). Running trials are left alone."""
