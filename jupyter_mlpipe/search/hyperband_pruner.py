"""Hyperband ``mode: pruner``: random configurations, stopped early by Optuna's Hyperband pruner.

For scripts that log the metric at every step. (The default, ``mode: brackets``, is Polyaxon's
own schedule: :mod:`jupyter_mlpipe.search.hyperband`.)

Every trial gets the resource param (``hyperband.resource.name``) set to ``max_iter`` (an int or
a float per ``resource.type``), trains up to that budget and reports the metric each step
(``report(number, step, value)``, steps counted in resource units from 1). The pruner —
``HyperbandPruner(min_resource=1, max_resource=max_iter, reduction_factor=eta)`` — answers True
when the trial falls behind its bracket, and the driver stops it.

The number of trials is Hyperband's total over its brackets (see
:attr:`jupyter_mlpipe.spec.Hyperband.total`): with ``s_max`` the largest ``s`` such that
``eta**s <= max_iter``, bracket ``s`` starts ``ceil((s_max + 1) * eta**s / (s + 1))``
configurations, e.g. 143 for ``max_iter=81, eta=3``. Configurations are sampled at random
(seeded), as in the original algorithm. Suggestions never wait: successive halving runs
asynchronously.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..spec import Spec
from ._base import CompletedTrial, Suggestion, search_seed
from ._optuna import OptunaSearch, optuna_module


class HyperbandPrunerSearch(OptunaSearch):
    """Hyperband over a spec whose ``hptuning`` uses ``hyperband`` with ``mode: pruner``."""

    algorithm = "hyperband"

    def __init__(
        self,
        spec: Spec,
        history: Iterable[CompletedTrial] = (),
        seed: int | None = None,
        pending: Iterable[Suggestion] = (),
    ) -> None:
        band = spec.hptuning.hyperband
        assert band is not None
        optuna = optuna_module()
        seed = search_seed(spec, seed)
        sampler = optuna.samplers.RandomSampler(seed=seed)
        pruner = optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=band.max_iter, reduction_factor=band.eta
        )
        fixed = {band.resource.name: band.resource.cast(band.max_iter)}
        super().__init__(
            spec.matrix, band.metric, band.total, sampler, pruner, history, fixed, pending
        )
