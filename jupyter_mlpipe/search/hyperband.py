"""Hyperband, Polyaxon's schedule (``mode: brackets``, the default): successive halving.

With ``s_max`` the largest ``s`` such that ``eta**s <= max_iter``, brackets run from
``s = s_max`` down to 0 (see :class:`jupyter_mlpipe.spec.Hyperband`):

- bracket ``s`` draws ``n = ceil((s_max + 1) * eta**s / (s + 1))`` distinct random
  configurations (seeded, as random search draws them);
- its rung ``i`` (0 .. s) runs ``int(n * eta**-i)`` configurations, each as a new experiment
  whose resource param (``hyperband.resource.name``) is ``max_iter * eta**(i - s)``, cast to the
  resource type;
- rung ``i + 1`` starts when every experiment of rung ``i`` has ended: it re-runs the best of
  them by the *final* value of ``hyperband.metric`` (ties: the lower number first). Failed
  experiments and those without the metric are never promoted, so a rung may hold fewer.

``max_iter: 81, eta: 3`` plans 206 experiments (rungs of 81+27+9+3+1, 34+11+3+1, 15+5+1,
8+2 and 5). Brackets are independent, so when concurrency allows, one bracket's experiments
run while another waits for its rung to end.

Trial numbers are fixed by the schedule (bracket after bracket, rung after rung, in rank order),
so a restarted driver rebuilds the same state from the finished trials.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..spec import Spec
from ._base import CompletedTrial, Search, Suggestion, search_seed, usable
from .random import draw


@dataclass
class _Bracket:
    """One bracket: its configurations, rung sizes and resources, and the first number."""

    configs: list[dict[str, Any]]
    rungs: list[tuple[int, int | float]]
    first: int
    offsets: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        sizes = [min(keep, len(self.configs)) for keep, _ in self.rungs]
        self.rungs = [(size, r) for size, (_, r) in zip(sizes, self.rungs, strict=True)]
        at = self.first
        for size in sizes:
            self.offsets.append(at)
            at += size

    @property
    def size(self) -> int:
        return sum(size for size, _ in self.rungs)


class HyperbandSearch(Search):
    """Polyaxon's hyperband over a spec whose ``hptuning.hyperband.mode`` is ``brackets``."""

    algorithm = "hyperband"

    def __init__(
        self,
        spec: Spec,
        history: Iterable[CompletedTrial] = (),
        seed: int | None = None,
        pending: Iterable[Suggestion] = (),
    ) -> None:
        import numpy as np

        band = spec.hptuning.hyperband
        assert band is not None
        self.metric = band.metric
        self._resource = band.resource.name
        rng = np.random.default_rng(search_seed(spec, seed))
        params = list(spec.matrix.values())
        self._brackets: list[_Bracket] = []
        first = 0
        for s in range(band.s_max, -1, -1):
            bracket = _Bracket(draw(params, band.n_configs(s), rng), band.rungs(s), first)
            self._brackets.append(bracket)
            first += bracket.size
        self.planned = first
        self._results: dict[int, float | None] = {}
        for trial in history:
            self._results[trial.number] = trial.value if trial.ok else None
        self._handed = set(self._results) | {s.number for s in pending}

    def _members(self, bracket: _Bracket) -> tuple[int, list[int]]:
        """The current rung of ``bracket`` and its members (indices into its configs)."""
        members = list(range(bracket.rungs[0][0]))
        for rung in range(len(bracket.rungs) - 1):
            numbers = [bracket.offsets[rung] + j for j in range(len(members))]
            if not all(n in self._results for n in numbers):
                return rung, members
            members = self._promote(members, numbers, bracket.rungs[rung + 1][0])
        return len(bracket.rungs) - 1, members

    def _promote(self, members: list[int], numbers: list[int], keep: int) -> list[int]:
        """The best ``keep`` of a finished rung by final value (failed ones never rise)."""
        sign = -1.0 if self.metric is not None and self.metric.optimization == "maximize" else 1
        ranked = sorted(
            (sign * value, n, m)
            for n, m in zip(numbers, members, strict=True)
            if (value := self._results[n]) is not None and usable(value)
        )
        return [m for _, _, m in ranked[:keep]]

    def ask(self) -> Suggestion | None:
        for bracket in self._brackets:
            rung, members = self._members(bracket)
            for j, member in enumerate(members):
                number = bracket.offsets[rung] + j
                if number not in self._handed:
                    self._handed.add(number)
                    params: dict[str, Any] = dict(bracket.configs[member])
                    params[self._resource] = bracket.rungs[rung][1]
                    return Suggestion(number, params)
        return None

    def tell(self, number: int, value: float | None, failed: bool = False) -> None:
        if number in self._handed and number not in self._results:
            self._results[number] = None if failed or not usable(value) else value

    @property
    def finished(self) -> bool:
        for bracket in self._brackets:
            rung, members = self._members(bracket)
            last = [bracket.offsets[rung] + j for j in range(len(members))]
            if rung < len(bracket.rungs) - 1 or not all(n in self._results for n in last):
                return False
        return True

    def schedule(self) -> list[Mapping[str, Any]]:
        """Bracket, rung, experiments and resource of each rung (for plans and docs)."""
        return [
            {"bracket": len(self._brackets) - 1 - b, "rung": i, "experiments": size, "resource": r}
            for b, bracket in enumerate(self._brackets)
            for i, (size, r) in enumerate(bracket.rungs)
        ]
