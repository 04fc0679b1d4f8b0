"""The records of a spec's search settings: metric, early stopping, hyperband, bo, hptuning.

Frozen dataclasses built by :mod:`jupyter_mlpipe.spec.hptuning` (which states the rules); the
hyperband record also computes Polyaxon's bracket schedule (:meth:`Hyperband.rungs`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Metric:
    """A metric to optimise: its name and direction (``maximize`` or ``minimize``)."""

    name: str
    optimization: str = "maximize"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "optimization": self.optimization}

    def better(self, value: float, threshold: float) -> bool:
        """True when ``value`` reaches ``threshold`` in this metric's direction."""
        return value >= threshold if self.optimization == "maximize" else value <= threshold


@dataclass(frozen=True)
class EarlyStopping:
    """Stop scheduling once an experiment's ``metric`` reaches ``value``.

    ``policy`` (Polyaxon 0.4's ``all``, ``group`` or ``experiment``) is kept as written; like
    Polyaxon 0.4, which recorded it without acting on it, every policy stops scheduling new
    experiments and lets running ones finish.
    """

    metric: str
    value: float
    optimization: str = "maximize"
    policy: str = "all"

    def reached(self, value: float) -> bool:
        """True when ``value`` is at or beyond the threshold in the policy's direction."""
        return Metric(self.metric, self.optimization).better(value, self.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": self.value,
            "optimization": self.optimization,
            "policy": self.policy,
        }


@dataclass(frozen=True)
class Resource:
    """Hyperband's budget param: its name and type (``int`` or ``float``, Polyaxon's default).

    :meth:`cast` rounds to 15 significant digits first (``81 * 3**-4`` is 1, not 0.99...),
    then truncates to an int for ``int`` as Polyaxon did.
    """

    name: str
    type: str = "float"

    def cast(self, amount: float) -> int | float:
        tidy = float(f"{amount:.15g}")
        return int(tidy) if self.type == "int" else tidy

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type}


@dataclass(frozen=True)
class Hyperband:
    """Hyperband settings; :attr:`total` is the number of experiments it plans.

    ``mode`` is ``brackets`` (Polyaxon's schedule: successive halving on the final metric,
    see :mod:`jupyter_mlpipe.search.hyperband`) or ``pruner`` (every configuration gets
    ``max_iter``; Optuna's Hyperband pruner stops laggards from their intermediate metrics).
    """

    max_iter: int
    eta: float
    resource: Resource
    metric: Metric
    resume: bool = False
    mode: str = "brackets"

    @property
    def s_max(self) -> int:
        """The largest ``s`` with ``eta**s <= max_iter`` (to 1e-9, so float noise never drops
        a bracket)."""
        s = 0
        while self.eta ** (s + 1) <= self.max_iter * (1 + 1e-9):
            s += 1
        return s

    @property
    def brackets(self) -> int:
        """``s_max + 1``."""
        return self.s_max + 1

    def n_configs(self, s: int) -> int:
        """Configurations bracket ``s`` starts: ``ceil((s_max + 1) * eta**s / (s + 1))``."""
        return math.ceil(float(f"{self.brackets * self.eta**s / (s + 1):.12g}"))

    def rungs(self, s: int) -> list[tuple[int, int | float]]:
        """``(configurations, resource)`` of each rung of bracket ``s``: rung ``i`` keeps
        ``int(n * eta**-i)`` configurations and gives each ``max_iter * eta**(i - s)``."""
        n = self.n_configs(s)
        out = []
        for i in range(s + 1):
            keep = int(float(f"{n * self.eta**-i:.12g}"))
            out.append((keep, self.resource.cast(self.max_iter * self.eta ** (i - s))))
        return out

    @property
    def total(self) -> int:
        """Experiments over all brackets.

        ``brackets`` mode: every rung of every bracket (206 for ``max_iter=81, eta=3``:
        brackets of 81+27+9+3+1, 34+11+3+1, 15+5+1, 8+2 and 5). ``pruner`` mode: one
        experiment per configuration, ``sum(n_configs(s))`` (143 for 81 and 3).
        """
        if self.mode == "pruner":
            return sum(self.n_configs(s) for s in range(self.brackets))
        return sum(keep for s in range(self.brackets) for keep, _ in self.rungs(s))

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_iter": self.max_iter,
            "eta": self.eta,
            "resource": self.resource.to_dict(),
            "metric": self.metric.to_dict(),
            "resume": self.resume,
            "mode": self.mode,
        }


@dataclass(frozen=True)
class BO:
    """Bayesian optimisation settings."""

    n_iterations: int
    n_initial_trials: int
    metric: Metric
    utility_function: Mapping[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.n_initial_trials + self.n_iterations

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_iterations": self.n_iterations,
            "n_initial_trials": self.n_initial_trials,
            "metric": self.metric.to_dict(),
            "utility_function": dict(self.utility_function),
        }


@dataclass(frozen=True)
class HPTuning:
    """The search settings of a spec (an experiment spec gets the defaults: one grid point).

    Attributes:
        algorithm: ``grid``, ``random``, ``hyperband`` or ``bo``.
        seed: the sampling seed, or None for a fresh one.
        concurrency: experiments running at once.
        n_experiments: the number of experiments planned, resolved by the parser: grid: the
            grid size or the first-N limit; random: the count after any cap; hyperband/bo: the
            total; an experiment spec: 1. (None only for records built in code.)
        early_stopping: policies, checked in order.
        hyperband: settings when ``algorithm == "hyperband"``.
        bo: settings when ``algorithm == "bo"``.
    """

    algorithm: str = "grid"
    seed: int | None = None
    concurrency: int = 1
    n_experiments: int | None = None
    early_stopping: tuple[EarlyStopping, ...] = ()
    hyperband: Hyperband | None = None
    bo: BO | None = None

    @property
    def metric(self) -> Metric | None:
        """The optimised metric of adaptive algorithms, else None."""
        if self.hyperband is not None:
            return self.hyperband.metric
        return self.bo.metric if self.bo is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "concurrency": self.concurrency,
            "n_experiments": self.n_experiments,
            "early_stopping": [p.to_dict() for p in self.early_stopping],
            "hyperband": self.hyperband.to_dict() if self.hyperband else None,
            "bo": self.bo.to_dict() if self.bo else None,
        }
