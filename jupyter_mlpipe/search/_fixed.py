"""A search over a fixed, numbered list of params (grid and random search)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._base import CompletedTrial, Search, Suggestion


class FixedSearch(Search):
    """Suggests ``params_of(0) .. params_of(planned - 1)`` in order, skipping finished numbers.

    Numbers in ``history`` (finished) and ``pending`` (handed out before a restart, still to
    run) are never suggested again.
    """

    def __init__(
        self,
        planned: int,
        params_of: Callable[[int], dict[str, Any]],
        history: Iterable[CompletedTrial] = (),
        pending: Iterable[Suggestion] = (),
    ) -> None:
        self.planned = planned
        self._params_of = params_of
        self._taken = {t.number for t in history} | {s.number for s in pending}
        self._next = 0

    def _advance(self) -> None:
        while self._next < self.planned and self._next in self._taken:
            self._next += 1

    def ask(self) -> Suggestion | None:
        self._advance()
        if self._next >= self.planned:
            return None
        number = self._next
        self._taken.add(number)
        self._next += 1
        return Suggestion(number, self._params_of(number))

    @property
    def finished(self) -> bool:
        self._advance()
        return self._next >= self.planned
