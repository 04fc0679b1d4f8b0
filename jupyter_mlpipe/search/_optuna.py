"""Shared machinery of the Optuna-backed searches (hyperband, bo).

Optuna is imported lazily (only these searches need it) and its INFO logging is silenced.

Each matrix param maps to a bounded Optuna distribution over a *raw* variable, and back:

| option | raw variable | value |
|---|---|---|
| values, pvalues | categorical index | ``choices[index]`` (pvalues weights are not used by TPE) |
| range, linspace, logspace, geomspace | integer index (ordered) | ``points[index]`` |
| uniform, quniform | float in [low, high] | the raw value (rounded to ``q``) |
| loguniform, qloguniform | float exponent in [low, high] | ``exp(raw)`` (rounded to ``q``) |
| normal, lognormal (and q) | float u in (0, 1) | ``loc + scale * Phi^-1(u)`` (exp'd, rounded) |

So the first, random trials follow each option's own law, and TPE models bounded variables.
Restarting from history maps each finished trial's values back to raw variables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import Any

from ..spec import MatrixParam, Metric
from ..spec.matrix import key
from ._base import CompletedTrial, Search, Suggestion, usable

#: Margin keeping the normal quantile finite.
_EPS = 1e-6


def optuna_module() -> Any:
    """Import Optuna with its per-trial INFO logging silenced."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class Codec:
    """Maps one matrix param to an Optuna distribution and back (see the module table)."""

    def __init__(self, param: MatrixParam) -> None:
        import optuna.distributions as dist

        self.param = param
        self.points: list[Any] | None = param.choices() if param.is_finite else None
        if self.points is not None:
            indices = list(range(len(self.points)))
            if param.option in ("values", "pvalues"):
                self.distribution: Any = dist.CategoricalDistribution(indices)
            else:
                self.distribution = dist.IntDistribution(0, len(indices) - 1)
        elif "normal" in param.option:
            self.distribution = dist.FloatDistribution(_EPS, 1 - _EPS)
        else:
            self.distribution = dist.FloatDistribution(param.args["low"], param.args["high"])

    def decode(self, raw: Any) -> Any:
        """The param value for an Optuna raw value."""
        if self.points is not None:
            return self.points[int(raw)]
        if "normal" in self.param.option:
            raw = NormalDist(self.param.args["loc"], self.param.args["scale"]).inv_cdf(raw)
        return self.param.from_raw(float(raw))

    def encode(self, value: Any) -> Any | None:
        """The raw value for a param value from history, or None when it cannot be mapped."""
        if self.points is not None:
            wanted = key(value)
            return next((i for i, p in enumerate(self.points) if key(p) == wanted), None)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            return None
        x = float(value)
        if "log" in self.param.option:
            if x <= 0:
                return None
            x = math.log(x)
        if "normal" in self.param.option:
            x = NormalDist(self.param.args["loc"], self.param.args["scale"]).cdf(x)
        low, high = self.distribution.low, self.distribution.high
        return min(max(x, low), high)


class OptunaSearch(Search):
    """An Optuna study driven by ask/tell, numbered by us so restarts never reuse a number.

    Subclasses provide the sampler and pruner and may hold suggestions back
    (:meth:`_may_ask`).
    """

    def __init__(
        self,
        matrix: Mapping[str, MatrixParam],
        metric: Metric,
        planned: int,
        sampler: Any,
        pruner: Any,
        history: Iterable[CompletedTrial] = (),
        fixed: Mapping[str, Any] | None = None,
        pending: Iterable[Suggestion] = (),
    ) -> None:
        optuna = optuna_module()
        self._optuna = optuna
        self.metric = metric
        self.planned = planned
        self._fixed = dict(fixed or {})
        self._codecs = {name: Codec(p) for name, p in matrix.items()}
        # A fixed name: Hyperband assigns brackets from a hash of the study name and trial
        # number, so a generated name would make runs with the same seed differ.
        self._study = optuna.create_study(
            study_name="jupyter-mlpipe",
            direction=metric.optimization,
            sampler=sampler,
            pruner=pruner,
        )
        self._live: dict[int, Any] = {}
        self._steps: dict[int, set[int]] = {}
        self._pruned: set[int] = set()
        numbers = set()
        for trial in sorted(history, key=lambda t: t.number):
            numbers.add(trial.number)
            self._restore(trial)
        self._done = len(numbers)
        for suggestion in sorted(pending, key=lambda s: s.number):
            if suggestion.number not in numbers:
                numbers.add(suggestion.number)
                if not self._resume(suggestion):
                    self._done += 1  # it will never be told: do not wait for it
        self._count = len(numbers)
        self._next = max(numbers) + 1 if numbers else 0

    def _restore(self, trial: CompletedTrial) -> None:
        state = self._optuna.trial.TrialState
        raw = self._encode(trial.params)
        if raw is None:
            return  # params outside this matrix (the spec changed): nothing to learn from
        if trial.pruned:
            kind, value = state.PRUNED, None
        elif trial.ok:
            kind, value = state.COMPLETE, float(trial.value)  # type: ignore[arg-type]
        else:
            kind, value = state.FAIL, None
        steps = {int(s): float(v) for s, v in trial.intermediate.items() if usable(v)}
        frozen = self._optuna.trial.create_trial(
            params=raw,
            distributions={n: c.distribution for n, c in self._codecs.items()},
            value=value,
            state=kind,
            intermediate_values=steps,
        )
        self._study.add_trial(frozen)

    def _encode(self, params: Mapping[str, Any]) -> dict[str, Any] | None:
        raw = {}
        for name, codec in self._codecs.items():
            encoded = codec.encode(params.get(name))
            if encoded is None:
                return None
            raw[name] = encoded
        return raw

    def _resume(self, suggestion: Suggestion) -> bool:
        """Make a trial handed out before a restart (not finished) live again, same params.

        Returns False when its params do not fit this matrix (its results will be ignored).
        """
        raw = self._encode(suggestion.params)
        if raw is None:
            return False
        self._study.enqueue_trial(raw)
        trial = self._study.ask({n: c.distribution for n, c in self._codecs.items()})
        self._live[suggestion.number] = trial
        return True

    def _may_ask(self) -> bool:
        return True

    def ask(self) -> Suggestion | None:
        if self._count >= self.planned or not self._may_ask():
            return None
        trial = self._study.ask({n: c.distribution for n, c in self._codecs.items()})
        number = self._next
        self._next += 1
        self._count += 1
        self._live[number] = trial
        params = {name: codec.decode(trial.params[name]) for name, codec in self._codecs.items()}
        params.update(self._fixed)
        return Suggestion(number, params)

    def tell(self, number: int, value: float | None, failed: bool = False) -> None:
        trial = self._live.pop(number, None)
        if trial is None:
            return
        state = self._optuna.trial.TrialState
        self._done += 1
        if number in self._pruned:
            self._study.tell(trial, state=state.PRUNED)
        elif failed or not usable(value):
            self._study.tell(trial, state=state.FAIL)
        else:
            self._study.tell(trial, float(value))  # type: ignore[arg-type]

    def report(self, number: int, step: int, value: float) -> bool:
        trial = self._live.get(number)
        if trial is None or not usable(value) or step in self._steps.setdefault(number, set()):
            return number in self._pruned
        self._steps[number].add(step)
        trial.report(float(value), int(step))
        if trial.should_prune():
            self._pruned.add(number)
        return number in self._pruned

    @property
    def finished(self) -> bool:
        return self._count >= self.planned
