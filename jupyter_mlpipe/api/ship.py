"""The ship pipeline: best (or a chosen experiment) → package → build when needed → deploy.

One pipeline for every front end. :meth:`ShipVerbs.ship` writes an operation record (see
:mod:`jupyter_mlpipe.store.operations`) before it starts, rewrites it after every step and
appends progress lines beside it, so the CLI, the magics, the dashboard and the sidebar can
start it, and any of them — in any process — can watch it with :meth:`ShipVerbs.operation`.

Rules, decided here once:

- **Which experiment**: the one given, else the group's best (``best``'s own defaults decide the
  metric and direction when none is given).
- **Names**: the default package and deployment name is ``<project>-g<group>-e<experiment>``
  (shortened to a DNS-1123 label), so two projects or two groups never share one. An existing
  package is never replaced unless ``force`` is given; one packaged from the same experiment is
  reused; one that a running deployment serves is never replaced (``package`` refuses).
- **Build**: only when the deploy backend needs an image (anything but ``local``) or an image was
  asked for. The built image reaches the deploy by digest when the registry gave one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..errors import InvalidArgument
from ..store.checks import check_id
from ..store.names import validate_name
from ..store.operations import (
    OperationEvent,
    OperationRecord,
    OperationStep,
    OperationStore,
    Owner,
    new_operation_id,
)
from .ship_run import Progress, ShipPlan, ShipRun

if TYPE_CHECKING:
    from ..settings import Settings
    from .core import Mlpipe

DEPLOY_BACKENDS = ("local", "seldon")


class ShipVerbs:
    """ship / operation / operations / operation_events, mixed into ``Mlpipe``."""

    settings: Settings

    # -- watching -----------------------------------------------------------------------------
    def operations_store(self) -> OperationStore:
        return OperationStore(self.settings.outputs_root, self.settings.user)

    def operation(self, op_id: str) -> OperationRecord:
        """One operation's record as it stands now (any process may be running it).

        Raises:
            InvalidArgument: ``op_id`` is not 12 hex digits.
            NotFound: there is no such operation.
        """
        return self.operations_store().get(op_id)

    def operations(self, limit: int = 50) -> list[OperationRecord]:
        """The newest ``limit`` operations, newest first (damaged records marked as such)."""
        return self.operations_store().list(limit)

    def operation_events(self, op_id: str, offset: int = 0) -> tuple[list[OperationEvent], int]:
        """Progress lines of an operation from byte ``offset``, and where to continue."""
        return self.operations_store().events(op_id, offset)

    # -- shipping -----------------------------------------------------------------------------
    def ship(
        self,
        group: int | None = None,
        *,
        experiment: int | None = None,
        name: str | None = None,
        project: str | None = None,
        image: str | None = None,
        backend: str | None = None,
        metric: str | None = None,
        mode: str | None = None,
        force: bool = False,
        source: str | Path | None = None,
        model_class: str | None = None,
        requirements: str | Path | Sequence[str] | None = None,
        checkpoints: Sequence[str | Path] | None = None,
        wait: bool = True,
        on_progress: Progress | None = None,
    ) -> OperationRecord:
        """Package, build (when needed) and deploy a group's best experiment, or a chosen one.

        Args:
            group: the group whose best experiment ships (``best``'s defaults decide how
                "best" is measured unless ``metric``/``mode`` are given).
            experiment: ship this experiment instead of the best.
            name: the package and deployment name (default: ``<project>-g<G>-e<E>``).
            image: build this image (default: built only when ``backend`` needs one).
            backend: the deploy backend, ``local`` or ``seldon`` (default: the setting).
            force: replace an existing package of that name (never one a deployment serves).
            source, model_class, requirements, checkpoints: as for :meth:`package`.
            wait: run in this thread and return the finished record; else run in a background
                thread and return the queued record at once (watch it with :meth:`operation`).
            on_progress: called with each progress line (in the thread doing the work).

        Returns:
            The operation record: finished with ``wait``, queued without.

        Raises:
            InvalidArgument: neither or both of group/experiment, or a bad value (nothing is
                recorded then).
            MlpipeError: with ``wait``, the error of the step that failed (it is also in the
                record).
        """
        plan = self._ship_plan(
            group, experiment, name, project, image, backend, metric, mode, force,
            source, model_class, requirements, checkpoints,
        )  # fmt: skip
        steps = (("best",) if plan.experiment is None else ()) + ("package", "build", "deploy")
        now = time.time()
        record = OperationRecord(
            id=new_operation_id(),
            action="ship",
            status="queued",
            created=now,
            updated=now,
            steps=tuple(OperationStep(s) for s in steps),
            request=plan.to_dict(),
            owner=Owner.current(),
        )
        api = cast("Mlpipe", self)  # ShipVerbs is only ever mixed into Mlpipe
        run = ShipRun(api, self.operations_store(), plan, record, on_progress)
        run.save(record)
        if wait:
            return run.run(raise_errors=True)
        thread = threading.Thread(
            target=run.run_in_background, name=f"mlpipe-ship-{record.id}", daemon=True
        )
        thread.start()
        return record

    def _ship_plan(
        self,
        group: int | None,
        experiment: int | None,
        name: str | None,
        project: str | None,
        image: str | None,
        backend: str | None,
        metric: str | None,
        mode: str | None,
        force: bool,
        source: str | Path | None,
        model_class: str | None,
        requirements: str | Path | Sequence[str] | None,
        checkpoints: Sequence[str | Path] | None,
    ) -> ShipPlan:
        if (group is None) == (experiment is None):
            raise InvalidArgument(
                "ship needs a group (to ship its best experiment) or an experiment, not "
                + ("neither" if group is None else "both")
                + " — `mlpipe ship GROUP` or `mlpipe ship --experiment ID`"
            )
        chosen = backend or self.settings.deploy_backend
        if chosen not in DEPLOY_BACKENDS:
            raise InvalidArgument(
                f"deploy backend must be one of {', '.join(DEPLOY_BACKENDS)}, got {chosen!r}"
            )
        if mode is not None and mode not in ("min", "max"):
            raise InvalidArgument(f"mode must be 'min' or 'max', got {mode!r}")
        if metric is not None and (not isinstance(metric, str) or not metric):
            raise InvalidArgument(f"metric must be a metric's name, got {metric!r}")
        return ShipPlan(
            project=validate_name(project or self.settings.project, "project"),
            group=None if group is None else check_id(group, "group"),
            experiment=None if experiment is None else check_id(experiment, "experiment"),
            name=None if name is None else validate_name(name, "package"),
            image=image or None,
            backend=chosen,
            metric=metric,
            mode=mode,
            force=bool(force),
            source=None if source is None else str(source),
            model_class=model_class,
            requirements=_requirements(requirements),
            checkpoints=None if checkpoints is None else tuple(map(str, checkpoints)),
        )


def _requirements(value: str | Path | Sequence[str] | None) -> str | tuple[str, ...] | None:
    """A requirements file's path (text) or the requirement lines themselves."""
    if value is None or isinstance(value, (str, Path)):
        return None if value is None else str(value)
    return tuple(map(str, value))
