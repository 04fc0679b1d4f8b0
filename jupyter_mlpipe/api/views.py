"""The views of a group's results (importance, parallel coordinates, history, slices, compare).

Computed from the read model's rows and the group's objective by
:mod:`jupyter_mlpipe.plots.views`; each returns a typed record (``to_dict()`` for REST,
``show()`` / rich display in a notebook). A view that cannot be drawn — no objective, too few
succeeded experiments, no param that varies — comes back with its ``reason``, not an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument, NotFound
from ..store import ExperimentRow, Objective

if TYPE_CHECKING:
    from ..plots.views import Comparison, History, Importance, ParallelCoordinates, Slices
    from ..store import GroupReader, GroupRecord, Store

#: The group views the REST API serves, by route name.
GROUP_VIEWS = ("importance", "history", "parallel", "slices")


class ViewVerbs:
    """importance / parallel_coordinates / history / slices / compare, mixed into ``Mlpipe``."""

    _group_record: Any
    _reader: Any
    _store: Any

    def _view_input(
        self, group: int, objective: str | Objective | None, project: str | None
    ) -> tuple[list[ExperimentRow], Objective | None]:
        record: GroupRecord = self._group_record(group, project)
        chosen = Objective.parse(objective) if isinstance(objective, str) else objective
        reader: GroupReader = self._reader(group, project)
        return reader.rows(), chosen or record.objective

    def importance(
        self,
        group: int,
        *,
        method: str | None = None,
        objective: str | Objective | None = None,
        project: str | None = None,
    ) -> Importance:
        """How much each param matters for the objective (Optuna's importance evaluators).

        Args:
            method: ``mdi`` (the default when scikit-learn is installed; fast), ``fanova``
                (Optuna's default; slow on large groups) or ``ped-anova`` (the default
                without scikit-learn).
            objective: another objective than the group's (``"loss:min"``).

        Raises:
            InvalidArgument: an unknown method or objective form.
            NotFound: no such group.
        """
        from ..plots.views import METHODS, importance

        if method is not None and method not in METHODS:
            raise InvalidArgument(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        rows, chosen = self._view_input(group, objective, project)
        return importance(int(group), rows, chosen, method)

    def history(
        self, group: int, *, objective: str | Objective | None = None, project: str | None = None
    ) -> History:
        """The objective of each experiment in id order, with the best so far."""
        from ..plots.views import history

        rows, chosen = self._view_input(group, objective, project)
        return history(int(group), rows, chosen)

    def parallel_coordinates(
        self, group: int, *, objective: str | Objective | None = None, project: str | None = None
    ) -> ParallelCoordinates:
        """A line per experiment from its params to the objective, coloured by the objective."""
        from ..plots.views import parallel_coordinates

        rows, chosen = self._view_input(group, objective, project)
        return parallel_coordinates(int(group), rows, chosen)

    def slices(
        self, group: int, *, objective: str | Objective | None = None, project: str | None = None
    ) -> Slices:
        """The objective against each param (numeric and categorical)."""
        from ..plots.views import slices

        rows, chosen = self._view_input(group, objective, project)
        return slices(int(group), rows, chosen)

    def group_view(self, group: int, view: str, project: str | None = None) -> Any:
        """One of :data:`GROUP_VIEWS` by name (what the REST routes serve).

        Raises:
            InvalidArgument: an unknown view name.
        """
        verbs: dict[str, Any] = {
            "importance": self.importance,
            "history": self.history,
            "parallel": self.parallel_coordinates,
            "slices": self.slices,
        }
        if view not in verbs:
            raise InvalidArgument(f"view must be one of {', '.join(GROUP_VIEWS)}, got {view!r}")
        return verbs[view](group, project=project)

    def compare(self, experiments: Sequence[int], project: str | None = None) -> Comparison:
        """Chosen experiments (of any groups) side by side: params, last metrics, curves.

        Raises:
            NotFound: an experiment that does not exist.
            InvalidArgument: the same experiment twice.
        """
        from ..plots.views import compare

        ids = [int(e) for e in experiments]
        if len(set(ids)) != len(ids):
            raise InvalidArgument(f"compare each experiment once, got {ids}")
        store: Store = self._store(project)
        by_group: dict[int, list[int]] = {}
        for eid in ids:
            by_group.setdefault(store.group_of(eid), []).append(eid)
        found: dict[int, ExperimentRow] = {}
        points: dict[int, Any] = {}
        for gid, members in by_group.items():  # one read of each group involved
            reader: GroupReader = self._reader(gid, project)
            rows = {r.id: r for r in reader.rows()}
            for eid in members:
                if eid not in rows:
                    raise NotFound(f"experiment {eid} has no folder in group {gid}")
                found[eid] = rows[eid]
            points.update(reader.metrics(None, experiments=members).points)
        return compare([found[eid] for eid in ids], points)
