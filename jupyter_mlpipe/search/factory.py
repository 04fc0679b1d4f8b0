"""``make_search``: the search a spec asks for, rebuilt from finished trials."""

from __future__ import annotations

from collections.abc import Iterable

from ..spec import Spec
from ._base import CompletedTrial, Search, Suggestion


def make_search(
    spec: Spec,
    history: Iterable[CompletedTrial] = (),
    *,
    seed: int | None = None,
    pending: Iterable[Suggestion] = (),
) -> Search:
    """Build the search of ``spec.hptuning.algorithm``.

    Args:
        spec: a parsed spec (an experiment spec gives one grid point: its declarations).
        history: trials that already finished, e.g. rebuilt from the store after a restart;
            their numbers are never suggested again and adaptive searches learn from them.
        seed: the seed to use when the spec sets none. Pass the same value after a restart
            (record it with the group) so random and adaptive searches replay identically.
        pending: trials handed out before a restart that have not finished (the driver runs
            them again itself): their numbers are never suggested again, and adaptive searches
            take them back as live trials, so ``report`` and ``tell`` work for them.

    Returns:
        A :class:`~jupyter_mlpipe.search.Search`.
    """
    history = list(history)
    pending = list(pending)
    algorithm = spec.hptuning.algorithm
    if algorithm == "random":
        from .random import RandomSearch

        return RandomSearch(spec, history, seed, pending)
    if algorithm == "hyperband":
        assert spec.hptuning.hyperband is not None
        if spec.hptuning.hyperband.mode == "pruner":
            from .hyperband_pruner import HyperbandPrunerSearch

            return HyperbandPrunerSearch(spec, history, seed, pending)
        from .hyperband import HyperbandSearch

        return HyperbandSearch(spec, history, seed, pending)
    if algorithm == "bo":
        from .bo import BOSearch

        return BOSearch(spec, history, seed, pending)
    from .grid import GridSearch

    return GridSearch(spec, history, pending)
