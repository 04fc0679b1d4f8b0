"""Bayesian optimisation with Optuna's TPE sampler.

``n_initial_trials`` trials are sampled at random (each option's own law, see
:mod:`jupyter_mlpipe.search._optuna`) and may all run at once; the following
``n_iterations`` are suggested by TPE from the finished trials, so ``ask()`` returns None until
every initial trial has reported its result. Later suggestions may overlap (the driver's
concurrency): TPE's constant-liar mode keeps parallel suggestions apart. The optimised metric
and its direction come from ``bo.metric``; failed trials are recorded as failed and ignored.
Polyaxon's Gaussian-process ``utility_function`` is not used.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..spec import Spec
from ._base import CompletedTrial, Suggestion, search_seed
from ._optuna import OptunaSearch, optuna_module


class BOSearch(OptunaSearch):
    """TPE search over a spec whose ``hptuning`` uses ``bo``."""

    algorithm = "bo"

    def __init__(
        self,
        spec: Spec,
        history: Iterable[CompletedTrial] = (),
        seed: int | None = None,
        pending: Iterable[Suggestion] = (),
    ) -> None:
        bo = spec.hptuning.bo
        assert bo is not None
        optuna = optuna_module()
        seed = search_seed(spec, seed)
        sampler = optuna.samplers.TPESampler(
            n_startup_trials=bo.n_initial_trials, seed=seed, constant_liar=True
        )
        self._initial = bo.n_initial_trials
        super().__init__(
            spec.matrix,
            bo.metric,
            bo.total,
            sampler,
            optuna.pruners.NopPruner(),
            history,
            pending=pending,
        )

    def _may_ask(self) -> bool:
        # The initial random trials go out at once; TPE waits until they all have results.
        return self._count < self._initial or self._done >= self._initial
