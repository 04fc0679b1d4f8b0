"""The :class:`Mlpipe` façade: every verb of every front end, over the layers below.

Front ends (CLI, magics, widgets, the server extension) call only this object. It keeps no state
of its own between calls beyond its settings: every answer is read from the store.
"""

from __future__ import annotations

import getpass
import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument, NotFound, SpecError
from ..settings import Settings, save_setting
from ..store import (
    SUCCEEDED,
    DeploymentStore,
    ExperimentRow,
    GroupReader,
    GroupRecord,
    MetricsBatch,
    Objective,
    Readers,
    Store,
    best_row,
    count_states,
    validate_name,
)
from ..store.records import MODES
from .functions import FunctionVerbs
from .models import ModelVerbs
from .records import ExperimentInfo, GroupDetail, GroupInfo, StopOutcome
from .ship import ShipVerbs
from .submit import SubmitVerbs
from .sweeps import Sweep, project_dir_of, start_supervisor
from .tables import experiments_frame, group_info, groups_frame
from .views import ViewVerbs

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("jupyter_mlpipe")


class Mlpipe(SubmitVerbs, FunctionVerbs, ViewVerbs, ModelVerbs, ShipVerbs):
    """The Python API.

    Args:
        settings: the settings to use (default: :meth:`Settings.load`).
        **overrides: setting values that win over the environment and config file
            (``Mlpipe(outputs_root="/tmp/out", project="mnist")``).

    Example:
        >>> api = Mlpipe(outputs_root=tmp, project="demo")          # doctest: +SKIP
        >>> sweep = api.sweep("notebooks/mnist/polyaxonfile_hyperparams.yml", wait=True)
        >>> api.best(sweep.group, "accuracy").id
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = settings or Settings.load()
        self.settings = base.replace(**overrides) if overrides else base
        self._readers = Readers()

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"Mlpipe(project={s.project!r}, outputs_root='{s.outputs_root}', backend={s.backend!r})"
        )

    # -- helpers ------------------------------------------------------------------------------
    def _store(self, project: str | None = None) -> Store:
        return Store(
            self.settings.outputs_root, self.settings.user, project or self.settings.project
        )

    def _group_record(self, group: int, project: str | None = None) -> GroupRecord:
        from ..engine.reconcile import reconcile

        store = self._store(project)
        return reconcile(store, store.read_group(int(group)), self.settings.stop_grace)

    def _reader(self, group: int, project: str | None = None) -> GroupReader:
        """The read model of a group (kept between calls: it reads only what changed)."""
        store = self._store(project)
        return self._readers.get(store.group_dir(int(group)), store.project)

    # -- sweeps -------------------------------------------------------------------------------
    def sweep(
        self,
        file: str | Path | Callable[..., Any] | None = None,
        *,
        text: str | None = None,
        name: str | None = None,
        project: str | None = None,
        backend: str | None = None,
        wait: bool = False,
        dry_run: bool = False,
        progress: bool | None = None,
        retries: int = 0,
        timeout: float | None = None,
        objective: str | Objective | None = None,
        **function_options: Any,
    ) -> Sweep | list[dict[str, Any]]:
        """Validate a polyaxonfile (or a notebook function), create a group, start its experiments.

        Args:
            file: the spec's path (trials run in its folder) — or a function to sweep, with
                ``matrix=...`` and the other options of :meth:`sweep_function`.
            text: the spec's text instead of a file (trials run in the current folder).
            name: a name for the group (default: the file's stem).
            backend: ``local`` or ``kubernetes`` (default: the ``backend`` setting).
            wait: block until the group finishes, with a progress bar.
            dry_run: validate and return what would run (params and argv per experiment, or the
                Kubernetes manifests) without creating anything.
            retries: how many times to re-run a failed or timed-out experiment.
            timeout: seconds after which an experiment is stopped and marked timed-out.
            objective: what the sweep optimises, ``"accuracy:max"`` or ``"loss:min"`` (default:
                the spec's ``hptuning`` metric, or its single early-stopping metric). ``best``,
                the plots, the dashboard, the sidebar and ``ship`` default to it.
            **function_options: for a function sweep only (see :meth:`sweep_function`).

        Returns:
            A :class:`Sweep` handle (a list of documents with ``dry_run``).

        Raises:
            SpecError: the spec is invalid (with file:line:col), or its ``run.cmd`` runs a
                script that does not exist under the sweep's folder (nothing is created).
            InvalidArgument: function options given with a spec.
        """
        common: dict[str, Any] = dict(
            name=name,
            project=project,
            backend=backend,
            wait=wait,
            dry_run=dry_run,
            progress=progress,
            retries=retries,
            timeout=timeout,
            objective=objective,
        )
        if callable(file):
            return self.sweep_function(file, **common, **function_options)
        if function_options:
            raise InvalidArgument(
                f"{', '.join(sorted(function_options))} apply to a function sweep only"
                " (`sweep(train, matrix=...)`); a polyaxonfile states its own hptuning"
            )
        label = str(file) if file is not None else "<spec>"
        if text is None:
            if file is None:
                raise InvalidArgument("sweep needs a spec: give a file (-f FILE) or the spec text")
            try:
                text = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
                raise SpecError(
                    f"cannot read the spec file ({reason})",
                    str(file),
                    "check the path",
                    file=label,
                ) from exc
        common["name"] = name or (Path(file).stem if file else None)
        return self._submit(text, label, project_dir_of(file), **common)

    def resume(self, group: int, project: str | None = None) -> Sweep:
        """Start a new supervisor for a group whose supervisor died; it runs what had not run.

        Raises:
            MlpipeError: the group is still running or finished normally.
        """
        store = self._store(project)
        record = self._group_record(group, project)
        if record.status in ("created", "running"):
            raise InvalidArgument(f"group {group} is {record.status}; nothing to resume")
        lost = [e for e in store.experiments(group) if e.state.reason == "lost"]
        if record.status != "failed" or not (lost or "supervisor" in record.message):
            raise InvalidArgument(
                f"group {group} ended normally ({record.status}); start a new sweep to run it again"
            )
        store.write_group(
            record.evolve(
                status="created", finished=None, supervisor=None, message="", resumed=time.time()
            )
        )
        store.log_event(group, "resumed")
        if record.backend == "kubernetes":
            from ..executors.kubernetes_supervisor import start_cluster_supervisor

            start_cluster_supervisor(store, self.settings, group)
        else:
            start_supervisor(store, group, self.settings)
        return Sweep(self, store.project, group)

    def handle(self, group: int, project: str | None = None) -> Sweep:
        """A :class:`Sweep` handle on an existing group (after a kernel restart, say)."""
        self._store(project).read_group(int(group))
        return Sweep(self, project or self.settings.project, int(group))

    def groups(self, project: str | None = None) -> pd.DataFrame:
        """All groups of the project as a DataFrame (index ``id``), with status counts."""
        return groups_frame(self.group_list(project))

    def group_list(self, project: str | None = None) -> list[GroupInfo]:
        """Every group of the project, oldest first, as typed records."""
        return [self.group(g.id, project) for g in self._store(project).groups()]

    def group(self, group: int, project: str | None = None) -> GroupInfo:
        """One group: its record, status counts and best experiment by its objective."""
        record = self._group_record(group, project)
        reader = self._reader(group, project)
        if record.objective is None:
            return group_info(record, reader.counts(), None)
        rows = reader.rows()
        counts = count_states(row.status for row in rows)
        return group_info(record, counts, best_row(rows, record.objective))

    def group_detail(self, group: int, project: str | None = None) -> GroupDetail:
        """A group with every experiment's row (one consistent read of the store)."""
        record = self._group_record(group, project)
        rows = self._reader(group, project).rows()
        best = best_row(rows, record.objective) if record.objective else None
        info = group_info(record, count_states(r.status for r in rows), best)
        return GroupDetail.build(info, rows)

    def experiment_rows(self, group: int, project: str | None = None) -> list[ExperimentRow]:
        """Every experiment of a group as typed records (what the DataFrame shows)."""
        self._group_record(group, project)
        return self._reader(group, project).rows()

    def experiments(
        self,
        group: int,
        project: str | None = None,
        sort: str | None = None,
        columns: str = "compare",
    ) -> pd.DataFrame:
        """One row per experiment as a DataFrame (index ``id``).

        Args:
            sort: a column, ``-`` in front for descending (``-accuracy``).
            columns: ``"compare"`` (default): the params that vary, the objective, the other
                metrics' last values, status, duration and a failure's reason; ``"all"``: every
                column (attempt, times, constant params, each metric's last/min/max).

        Raises:
            NotFound: no such group. InvalidArgument: an unknown sort column or column set.
        """
        record = self._group_record(group, project)
        rows = self._reader(group, project).rows()
        return experiments_frame(rows, sort=sort, columns=columns, objective=record.objective)

    def experiment(self, experiment: int, project: str | None = None) -> ExperimentInfo:
        """One experiment's record.

        Raises:
            NotFound: no experiment with that id in the project.
        """
        store = self._store(project)
        gid = store.group_of(int(experiment))
        self._group_record(gid, project)
        row = self._reader(gid, project).row(int(experiment))
        if row is None:
            raise NotFound(f"experiment {experiment} has no folder in group {gid}")
        return row

    def metrics(
        self,
        group: int,
        project: str | None = None,
        cursor: str | None = None,
        *,
        max_bytes: int | None = None,
        max_points: int | None = None,
    ) -> MetricsBatch:
        """New metric points of a group since ``cursor`` (see :mod:`jupyter_mlpipe.store.metrics`).

        Args:
            max_bytes: a page: read at most about this many bytes of logs (the batch says
                ``more`` when there is more; call again with its cursor).
            max_points: decimate each series of the batch to about this many points.

        Raises:
            StoreError: ``cursor`` is not one this API produced.
            InvalidArgument: a page or point limit below 1.
        """
        for name, value in (("max_bytes", max_bytes), ("max_points", max_points)):
            if value is not None and value < 1:
                raise InvalidArgument(f"{name} must be 1 or more, got {value}")
        self._store(project).read_group(int(group))
        return self._reader(group, project).metrics(
            cursor, max_bytes=max_bytes, max_points=max_points
        )

    def logs(
        self, experiment: int, project: str | None = None, follow: bool = False
    ) -> Iterator[str]:
        """The experiment's output lines; with ``follow``, until the experiment ends."""
        from ..executors.logs import follow_file

        store = self._store(project)
        if not follow:
            return store.iter_log(int(experiment))
        eid = int(experiment)
        group = store.group_of(eid)

        def done() -> bool:
            self._group_record(group, project)  # reconcile, so a dead supervisor ends the follow
            return store.read_status(eid).is_final

        def lines() -> Iterator[str]:
            yield from follow_file(store.log_path(eid), done)
            state = store.read_status(eid)
            yield f"--- experiment {eid} {state.status}" + (
                f": {state.message}\n" if state.message else "\n"
            )

        return lines()

    def log_tail(
        self,
        experiment: int,
        lines: int = 200,
        max_bytes: int = 1 << 20,
        project: str | None = None,
    ) -> list[str]:
        """The last ``lines`` lines of an experiment's output, reading at most ``max_bytes``.

        Raises:
            NotFound: no such experiment.
        """
        return self._store(project).tail(int(experiment), lines, max_bytes)

    def stop(
        self, group: int | None = None, *, experiment: int | None = None, project: str | None = None
    ) -> StopOutcome:
        """Ask the supervisor to stop a group or one experiment (SIGTERM, grace, SIGKILL).

        Returns:
            What was done (nothing is done for work that already ended: ``stopping`` is False).

        Raises:
            InvalidArgument: neither given, or the experiment is not in the given group.
        """
        store = self._store(project)
        if experiment is None and group is None:
            raise InvalidArgument("stop needs a group id or --experiment ID")
        grace = self.settings.stop_grace
        if experiment is not None:
            eid = int(experiment)
            gid = store.group_of(eid)
            if group is not None and int(group) != gid:
                raise InvalidArgument(f"experiment {eid} is in group {gid}, not {group}")
            state = store.read_status(eid)
            if state.is_final:
                return StopOutcome(
                    "experiment", eid, False, f"experiment {eid} already ended ({state.status})"
                )
            store.request_stop(gid, eid)
            store.log_event(gid, "stop-requested", experiment=eid)
            self._group_record(gid, project)
            return StopOutcome(
                "experiment",
                eid,
                True,
                f"stop requested for experiment {eid}: SIGTERM now, SIGKILL after {grace:g}s",
            )
        gid = int(group)  # type: ignore[arg-type]
        record = self._group_record(gid, project)
        if record.status not in ("created", "running"):
            return StopOutcome("group", gid, False, f"group {gid} already ended ({record.status})")
        store.request_stop(gid)
        store.log_event(gid, "stop-requested")
        self._group_record(gid, project)
        return StopOutcome(
            "group",
            gid,
            True,
            f"stop requested for group {gid}: SIGTERM now, SIGKILL after {grace:g}s",
        )

    def metric_names(self, group: int, project: str | None = None) -> list[str]:
        """The metrics any experiment of the group has logged so far, sorted."""
        return sorted({m for row in self.experiment_rows(group, project) for m in row.metrics})

    def objective(self, group: int, project: str | None = None) -> Objective | None:
        """The group's objective (None when neither its spec nor its creator gave one)."""
        return self._group_record(group, project).objective

    def set_objective(
        self, group: int, objective: str | Objective, project: str | None = None
    ) -> Objective:
        """Give a group its objective after the fact (e.g. a group created without one).

        Raises:
            InvalidArgument: not ``METRIC:min`` or ``METRIC:max``.
        """
        chosen = objective if isinstance(objective, Objective) else Objective.parse(objective)
        store = self._store(project)
        record = store.read_group(int(group))
        store.write_group(record.evolve(objective=chosen))
        store.log_event(int(group), "objective-set", objective=str(chosen))
        return chosen

    def resolve_objective(
        self,
        group: int,
        metric: str | None = None,
        mode: str | None = None,
        project: str | None = None,
    ) -> Objective:
        """The objective a ``best`` call means: the group's, or the metric and mode given.

        A metric without a mode takes the group's direction only when it is the group's metric;
        nothing ever guesses a direction from a metric's name.

        Raises:
            InvalidArgument: no direction can be known, or ``mode`` is not min/max.
        """
        if mode is not None and mode not in MODES:
            raise InvalidArgument(f"mode must be 'min' or 'max', got {mode!r}")
        own = self._group_record(group, project).objective
        if metric is None and mode is None and own is not None:
            return own
        name = metric or (own.metric if own else None)
        if name is None:
            raise InvalidArgument(
                f"group {group} has no objective — say what is best: --metric NAME --mode"
                f" min|max, or give the group one with `mlpipe objective {group} NAME:max`"
            )
        if mode is None:
            if own is not None and own.metric == name:
                return own
            raise InvalidArgument(
                f"is a higher or a lower {name!r} better? add --mode min or --mode max"
                + (f" (group {group} optimises {own})" if own else "")
            )
        return Objective(name, mode)

    def best(
        self,
        group: int,
        metric: str | None = None,
        mode: str | None = None,
        project: str | None = None,
    ) -> ExperimentInfo:
        """The succeeded experiment whose last value of the objective's metric is best.

        Args:
            metric: the metric (default: the group's objective).
            mode: ``min`` or ``max`` (default: the group's direction for its own metric;
                required for any other metric, and for a group without an objective).

        The last value is used because it is the one the saved checkpoint matches; ties go to
        the lower id.

        Raises:
            InvalidArgument: the direction cannot be known (see :meth:`resolve_objective`).
            NotFound: no succeeded experiment logged a finite value of the metric.
        """
        objective = self.resolve_objective(group, metric, mode, project)
        rows = self.experiment_rows(group, project)
        winner = best_row(rows, objective)
        if winner is not None:
            return winner
        if not any(r.status == SUCCEEDED for r in rows):
            raise NotFound(
                f"no experiment of group {group} has succeeded yet — wait for one"
                f" (`mlpipe experiments {group}` shows their progress)"
            )
        seen = sorted({m for r in rows for m in r.metrics})
        raise NotFound(
            f"no succeeded experiment of group {group} logged a finite {objective.metric!r}"
            + (f" — metrics logged: {', '.join(seen)}" if seen else "")
        )

    def save_plot(
        self,
        group: int,
        metrics: tuple[str, ...] | list[str],
        path: str | Path,
        project: str | None = None,
    ) -> str:
        """Write the group's current curves as PNG files; return a sentence naming them.

        Raises:
            InvalidArgument: a metric the group never logged.
        """
        from ..plots import save_png

        logged = self.metric_names(group, project=project)
        unknown = [m for m in metrics if logged and m not in logged]
        if unknown:
            raise InvalidArgument(
                f"group {group} logged no metric {unknown[0]!r} — it logged {', '.join(logged)}"
            )
        return save_png(self, int(group), tuple(metrics), path, project=project)

    def cluster_manifests(
        self,
        *,
        nfs_server: str,
        nfs_path: str = "/",
        namespace: str | None = None,
        jupyter_image: str | None = None,
    ) -> list[dict[str, Any]]:
        """The manifests that set a cluster up for jupyter-mlpipe (nothing is sent)."""
        from ..k8s.manifests.cluster import render_cluster

        return render_cluster(
            nfs_server=nfs_server,
            namespace=namespace or self.settings.namespace,
            nfs_path=nfs_path,
            jupyter_image=jupyter_image,
            settings=self.settings,
        )

    # -- settings -----------------------------------------------------------------------------
    def config(self) -> list[dict[str, str]]:
        """Every setting with its value and where the value came from."""
        return self.settings.explain()

    def set_config(self, name: str, value: str) -> Path:
        """Persist a setting in the config file and use it from now on.

        Setting ``project`` to a project without sweeps logs a warning that names the folder
        it looked in (and the projects that have sweeps), so a typo shows at once.

        Raises:
            ConfigError: an unknown setting or a value that does not parse.
            InvalidName: a project name that is not a DNS-1123 label (nothing is saved).
        """
        from .places import project_place

        place = project_place(self.settings, value) if name == "project" else None
        path = save_setting(name, value)
        self.settings = self.settings.replace(**{name: value})
        if place is not None and not place.has_groups:
            log.warning(place.nothing_yet())
        return path

    # -- models (the verbs themselves are in ModelVerbs) ---------------------------------------
    def _lineage(self, info: ExperimentInfo) -> dict[str, Any]:
        store = self._store(info.project)
        record = store.read_group(info.group)
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return {
            "project": info.project,
            "group": info.group,
            "group_name": record.name,
            "experiment": info.id,
            "params": dict(info.params),
            "metrics": {name: info.last(name) for name in info.metrics},
            "spec_file": record.spec_file,
            "outputs_path": info.path,
            "selected_at": time.time(),
            "selected_by": f"{who}@{socket.gethostname()}",
        }

    def deployments_store(self) -> DeploymentStore:
        return DeploymentStore(self.settings.outputs_root, self.settings.user)

    def package_folder(self, name: str) -> Path:
        """The folder ``package`` wrote for ``name``."""
        from ..store import safe_join

        folder = safe_join(self.settings.deployments_root, validate_name(name, "package"))
        if not folder.is_dir():
            raise NotFound(
                f"no package {name!r} under {self.settings.deployments_root} — create"
                f" it with `mlpipe package EXPERIMENT --name {name}`"
            )
        return folder
