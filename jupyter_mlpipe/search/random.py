"""Random search: ``n_experiments`` distinct combinations drawn with a seeded generator.

The list is drawn once, up front, from ``numpy.random.default_rng(seed)``, so the same spec and
seed always give the same trials (also after a restart). Two strategies, both exact:

- when every param is finite and ``n_experiments`` is more than half the space, combinations
  are drawn without replacement from the enumerated space (weighted by ``pvalues``
  probabilities), so even a search covering the whole space needs no retries;
- otherwise each param is sampled independently and repeated combinations are dropped and
  redrawn. When the space turns out too small (quantised distributions), the search stops
  after ``100 * n + 1000`` draws with fewer trials and says so in :attr:`warnings`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from collections.abc import Iterable, Sequence
from typing import Any

from ..spec import MatrixParam, Spec
from ..spec.matrix import key
from ._base import CompletedTrial, Suggestion, search_seed
from ._fixed import FixedSearch
from .grid import combination

#: Largest finite space enumerated for drawing without replacement.
MAX_ENUMERATED = 1_000_000


class RandomSearch(FixedSearch):
    """Random search over a spec's matrix (see the module docstring)."""

    algorithm = "random"

    def __init__(
        self,
        spec: Spec,
        history: Iterable[CompletedTrial] = (),
        seed: int | None = None,
        pending: Iterable[Suggestion] = (),
    ) -> None:
        n = spec.hptuning.n_experiments or 1
        import numpy as np

        rng = np.random.default_rng(search_seed(spec, seed))
        trials = draw(list(spec.matrix.values()), n, rng)
        if len(trials) < n:
            self.warnings = (
                f"random_search found only {len(trials)} distinct combinations "
                f"of the {n} requested; running {len(trials)}",
            )
        super().__init__(len(trials), lambda i: dict(trials[i]), history, pending)


def draw(params: Sequence[MatrixParam], n: int, rng: np.random.Generator) -> list[dict]:
    """``n`` distinct combinations of ``params`` (fewer only when the space is too small)."""
    if all(p.is_finite for p in params):
        points = [p.choices() for p in params]
        size = 1
        for choices in points:
            size *= len(choices)
        if n * 2 > size and size <= MAX_ENUMERATED:
            return _without_replacement(params, points, size, n, rng)
    return _rejection(params, n, rng)


def _without_replacement(
    params: Sequence[MatrixParam],
    points: list[list[Any]],
    size: int,
    n: int,
    rng: np.random.Generator,
) -> list[dict]:
    import numpy as np

    weights = np.ones(1)
    for param, choices in zip(params, points, strict=True):
        p = (
            np.asarray(param.args["p"])
            if param.option == "pvalues"
            else np.full(len(choices), 1.0 / len(choices))
        )
        weights = np.outer(weights, p).ravel()  # product order: last param varies fastest
    weights = weights / weights.sum()
    names = [p.name for p in params]
    picks = rng.choice(size, size=min(n, size), replace=False, p=weights)
    return [combination(names, points, int(i)) for i in picks]


def _rejection(params: Sequence[MatrixParam], n: int, rng: np.random.Generator) -> list[dict]:
    trials: list[dict] = []
    seen: set[str] = set()
    for _ in range(100 * n + 1000):
        if len(trials) == n:
            break
        trial = {p.name: p.sample(rng) for p in params}
        k = key(trial)
        if k not in seen:
            seen.add(k)
            trials.append(trial)
    return trials
