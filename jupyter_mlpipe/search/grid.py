"""Grid search: the product of every param's points, in product order, first N kept.

The last matrix param varies fastest (``itertools.product`` order). Combination ``i`` is
computed directly (mixed radix), so a large grid is never materialised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..spec import Spec
from ._base import CompletedTrial, Suggestion
from ._fixed import FixedSearch


def combination(names: Sequence[str], points: Sequence[Sequence[Any]], index: int) -> dict:
    """The ``index``-th combination of ``points`` in product order, as ``{name: value}``."""
    values = []
    for choices in reversed(points):
        index, digit = divmod(index, len(choices))
        values.append(choices[digit])
    return dict(zip(names, reversed(values), strict=True))


class GridSearch(FixedSearch):
    """Grid search over a spec's matrix (an experiment spec: one empty combination)."""

    algorithm = "grid"

    def __init__(
        self,
        spec: Spec,
        history: Iterable[CompletedTrial] = (),
        pending: Iterable[Suggestion] = (),
    ) -> None:
        names = list(spec.matrix)
        points = [spec.matrix[name].choices() for name in names]
        planned = spec.hptuning.n_experiments
        if planned is None:  # specs built in code; parse_spec always resolves the count
            planned = 1
            for choices in points:
                planned *= len(choices)
        super().__init__(planned, lambda i: combination(names, points, i), history, pending)
