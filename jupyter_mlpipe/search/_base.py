"""The search interface: records exchanged with the sweep driver and the abstract base.

A search hands out numbered suggestions (``ask``), hears back results (``tell``) and, for
adaptive algorithms, intermediate values (``report``, which answers whether to prune). Its state
is rebuilt from the trials the driver already finished (``history``), so a restarted driver
never gets a finished number again.

Contract for every implementation:

- numbers are 0-based and never repeat; a number in ``history`` is never suggested;
- ``ask()`` returns None when nothing can be suggested right now (an adaptive search waiting for
  results) or ever again; ``finished`` tells the two apart;
- ``tell``/``report`` for a number the search did not hand out in this life (a trial started
  before a restart) are ignored: ``report`` then answers False.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..spec import Metric, Spec


@dataclass(frozen=True)
class Suggestion:
    """Params for one new trial.

    Attributes:
        number: the trial number (0-based, unique within the search).
        params: matrix values (plus hyperband's resource); merge the declarations with
            ``spec.params_for(params)``.
    """

    number: int
    params: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "params": dict(self.params)}


@dataclass(frozen=True)
class CompletedTrial:
    """A finished trial, as the driver reconstructs it from the store.

    Attributes:
        number: the trial number the search handed out.
        params: the params it ran with (as in the suggestion).
        value: the final value of the optimised metric (None when unknown).
        failed: the trial failed, timed out or was stopped by the user.
        intermediate: values reported per step (adaptive searches replay them).
        pruned: the search asked to stop it (``report`` returned True).
    """

    number: int
    params: Mapping[str, Any]
    value: float | None = None
    failed: bool = False
    intermediate: Mapping[int, float] = field(default_factory=dict)
    pruned: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "params": dict(self.params),
            "value": self.value,
            "failed": self.failed,
            "intermediate": {str(k): v for k, v in self.intermediate.items()},
            "pruned": self.pruned,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompletedTrial:
        return cls(
            number=int(data["number"]),
            params=dict(data.get("params") or {}),
            value=data.get("value"),
            failed=bool(data.get("failed", False)),
            intermediate={int(k): float(v) for k, v in (data.get("intermediate") or {}).items()},
            pruned=bool(data.get("pruned", False)),
        )

    @property
    def ok(self) -> bool:
        """True when the trial completed with a usable value."""
        return not self.failed and not self.pruned and usable(self.value)


def search_seed(spec: Spec, fallback: int | None) -> int | None:
    """The spec's seed when it sets one (0 included), else ``fallback`` (the group's drawn seed)."""
    return spec.hptuning.seed if spec.hptuning.seed is not None else fallback


def usable(value: float | None) -> bool:
    """True for a finite number (None, NaN and infinities are not results)."""
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


class Search(ABC):
    """Hands out trial params one at a time.

    Attributes:
        algorithm: ``grid``, ``random``, ``hyperband`` or ``bo``.
        planned: how many trials the search plans in total (including history).
        metric: the optimised metric of adaptive searches (None for grid and random).
        warnings: notes for the user produced while building the search.
    """

    algorithm = ""
    planned: int = 0
    metric: Metric | None = None
    warnings: tuple[str, ...] = ()

    @abstractmethod
    def ask(self) -> Suggestion | None:
        """The next trial, or None when nothing can be suggested now (see :attr:`finished`)."""

    def tell(self, number: int, value: float | None, failed: bool = False) -> None:  # noqa: B027
        """Record the end of trial ``number`` (final metric ``value``, or a failure).

        The default does nothing: non-adaptive searches need no results.
        """

    def report(self, number: int, step: int, value: float) -> bool:
        """Record an intermediate ``value`` at ``step``; True means: stop this trial now.

        The default never prunes.
        """
        return False

    @property
    @abstractmethod
    def finished(self) -> bool:
        """True when the search will never suggest anything again."""
