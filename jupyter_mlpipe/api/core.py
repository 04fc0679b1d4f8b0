"""The :class:`Mlpipe` façade: every verb of every front end, over the layers below.

Front ends (CLI, magics, widgets, the server extension) call only this object. It keeps no state
of its own between calls beyond its settings: every answer is read from the store.
"""

from __future__ import annotations

import getpass
import logging
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument, MlpipeError, NotFound, SpecError
from ..settings import Settings, save_setting
from ..store import SUCCEEDED, DeploymentStore, GroupRecord, Store, validate_name
from .models import ModelVerbs
from .records import ExperimentInfo, GroupInfo
from .ship import ShipVerbs
from .sweeps import Sweep, project_dir_of, start_supervisor
from .tables import experiment_info, experiments_frame, group_counts, group_info, groups_frame

log = logging.getLogger("jupyter_mlpipe")


class Mlpipe(ModelVerbs, ShipVerbs):
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

    # -- sweeps -------------------------------------------------------------------------------
    def sweep(
        self,
        file: str | Path | None = None,
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
    ) -> Any:
        """Validate a polyaxonfile, create a group and start its experiments.

        Args:
            file: the spec's path (trials run in its folder).
            text: the spec's text instead of a file (trials run in the current folder).
            name: a name for the group (default: the file's stem).
            backend: ``local`` or ``kubernetes`` (default: the ``backend`` setting).
            wait: block until the group finishes, with a progress bar.
            dry_run: validate and return what would run (params and argv per experiment, or the
                Kubernetes manifests) without creating anything.
            retries: how many times to re-run a failed or timed-out experiment.
            timeout: seconds after which an experiment is stopped and marked timed-out.

        Returns:
            A :class:`Sweep` handle (a list of documents with ``dry_run``).

        Raises:
            SpecError: the spec is invalid (with file:line:col).
        """
        from ..search import make_search
        from ..spec import parse_spec

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
        spec = parse_spec(text, file=label)
        backend = backend or self.settings.backend
        store = self._store(project)
        tuning = spec.hptuning
        seed = (
            tuning.seed
            if tuning is not None and tuning.seed is not None
            else (secrets.randbelow(2**31))
        )
        for warning in spec.warnings:
            log.warning("%s: %s", label, warning)
        planned = make_search(spec, seed=seed).planned
        # Render the commands now, so a template that fails for some params fails here, located,
        # rather than in the supervisor (all of them for a dry run, the first thousand else).
        plan = self._plan(spec, seed, limit=None if dry_run else 1000)
        if dry_run:
            return (
                self._kubernetes_plan(store, spec, seed, plan) if backend == "kubernetes" else plan
            )
        if backend == "kubernetes":  # no cluster configured: say so now, create nothing
            from ..k8s.client import load_configuration

            load_configuration(self.settings.kubeconfig)
        if retries < 0:
            raise InvalidArgument(f"--retries must be 0 or more, got {retries}")
        if timeout is not None and not timeout > 0:
            raise InvalidArgument(f"--timeout must be a positive number of seconds, got {timeout}")
        record = store.create_group(
            lambda gid: GroupRecord(
                id=gid,
                project=store.project,
                user=store.user,
                name=name or (Path(file).stem if file else f"group-{gid}"),
                created=time.time(),
                spec_file=label,
                project_dir=str(project_dir_of(file)),
                algorithm=tuning.algorithm if tuning else "single",
                backend=backend,
                concurrency=tuning.concurrency if tuning else 1,
                planned=planned,
                kind=spec.kind,
                max_retries=retries,
                timeout=timeout,
                seed=seed,
            ),
            text,
        )
        store.log_event(
            record.id,
            "submitted",
            spec=label,
            backend=backend,
            planned=planned,
            warnings=list(spec.warnings),
        )
        start_supervisor(store, record.id, self.settings)
        handle = Sweep(self, store.project, record.id)
        if wait:
            handle.wait(progress=progress)
        return handle

    @staticmethod
    def _plan(spec: Any, seed: int, limit: int | None = None) -> list[dict[str, Any]]:
        """Params and argv of each experiment a sweep would run (at most ``limit``).

        Adaptive searches list only what they would start before any result is known.
        """
        from ..search import make_search

        search = make_search(spec, seed=seed)
        docs: list[dict[str, Any]] = []
        while (limit is None or len(docs) < limit) and (s := search.ask()) is not None:
            params = spec.params_for(s.params)
            docs.append({"number": s.number, "params": params, "argv": spec.render_command(params)})
            search.tell(s.number, None, failed=False)
        return docs

    def _kubernetes_plan(
        self, store: Store, spec: Any, seed: int, plan: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The Jobs and ConfigMaps a Kubernetes sweep of ``plan`` would create (nothing sent)."""
        from ..engine.launch import trial_env
        from ..executors.base import TrialLaunch
        from ..executors.kubernetes import render_sweep

        tuning = spec.hptuning
        group = GroupRecord(
            id=0,
            project=store.project,
            user=store.user,
            name="dry-run",
            created=time.time(),
            spec_file=spec.file,
            project_dir=str(project_dir_of(None if spec.file == "<spec>" else spec.file)),
            algorithm=tuning.algorithm if tuning else "single",
            backend="kubernetes",
            concurrency=tuning.concurrency if tuning else 1,
            planned=None,
            kind=spec.kind,
            seed=seed,
        )
        launches = []
        for doc in plan:
            eid = doc["number"] + 1
            outputs = str(store.group_dir(0) / str(eid))
            env = trial_env(
                store, group, eid, doc["params"], 1, self.settings, outputs_path=outputs
            )
            launches.append(
                TrialLaunch(
                    experiment=eid,
                    attempt=1,
                    argv=tuple(doc["argv"]),
                    env=env,
                    cwd=group.project_dir,
                    params=doc["params"],
                )
            )
        return render_sweep(store, self.settings, group, launches, group.concurrency, spec=spec)

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
        start_supervisor(store, group, self.settings)
        return Sweep(self, store.project, group)

    def handle(self, group: int, project: str | None = None) -> Sweep:
        """A :class:`Sweep` handle on an existing group (after a kernel restart, say)."""
        self._store(project).read_group(int(group))
        return Sweep(self, project or self.settings.project, int(group))

    def groups(self, project: str | None = None) -> Any:
        """All groups of the project as a DataFrame (index ``id``), with status counts."""
        return groups_frame([self.group(g.id, project) for g in self._store(project).groups()])

    def group(self, group: int, project: str | None = None) -> GroupInfo:
        record = self._group_record(group, project)
        return group_info(record, group_counts(self._store(project).statuses(int(group))))

    def experiments(self, group: int, project: str | None = None, sort: str | None = None) -> Any:
        """One row per experiment: status, timing, params, metrics (last, .min, .max)."""
        self._group_record(group, project)
        return experiments_frame(self._store(project).experiments(int(group)), sort=sort)

    def experiment(self, experiment: int, project: str | None = None) -> ExperimentInfo:
        store = self._store(project)
        rec = store.read_experiment(int(experiment))
        self._group_record(rec.group, project)
        return experiment_info(store.project, store.read_experiment(int(experiment)))

    def metrics(self, group: int, project: str | None = None, cursor: str | None = None) -> Any:
        """New metric points of a group since ``cursor`` (see :mod:`jupyter_mlpipe.monitor`)."""
        from ..monitor import MetricsReader

        store = self._store(project)
        store.read_group(int(group))
        reader = MetricsReader(store.group_dir(int(group)), cursor=cursor)
        return reader.read()

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

    def stop(
        self, group: int | None = None, *, experiment: int | None = None, project: str | None = None
    ) -> str:
        """Ask the supervisor to stop a group or one experiment (SIGTERM, grace, SIGKILL).

        Returns:
            What was done, as a sentence (nothing is done for work that already ended).

        Raises:
            InvalidArgument: neither given, or the experiment is not in the given group.
        """
        store = self._store(project)
        if experiment is None and group is None:
            raise InvalidArgument("stop needs a group id or --experiment ID")
        if experiment is not None:
            gid = store.group_of(int(experiment))
            if group is not None and int(group) != gid:
                raise InvalidArgument(f"experiment {experiment} is in group {gid}, not {group}")
            state = store.read_status(int(experiment))
            if state.is_final:
                return f"experiment {experiment} already ended ({state.status})"
            store.request_stop(gid, int(experiment))
            store.log_event(gid, "stop-requested", experiment=int(experiment))
            what = f"experiment {experiment}"
        else:
            gid = int(group)  # type: ignore[arg-type]
            record = self._group_record(gid, project)
            if record.status not in ("created", "running"):
                return f"group {gid} already ended ({record.status})"
            store.request_stop(gid)
            store.log_event(gid, "stop-requested")
            what = f"group {gid}"
        self._group_record(gid, project)
        grace = self.settings.stop_grace
        return f"stop requested for {what}: SIGTERM now, SIGKILL after {grace:g}s"

    def metric_names(self, group: int, project: str | None = None) -> list[str]:
        """The metrics any experiment of the group has logged so far, sorted."""
        store = self._store(project)
        self._group_record(group, project)
        return sorted(
            {
                m
                for r in store.experiments(int(group))
                for m in experiment_info(store.project, r).metrics
            }
        )

    def best(
        self, group: int, metric: str, mode: str = "max", project: str | None = None
    ) -> ExperimentInfo:
        """The succeeded experiment whose last value of ``metric`` is best.

        The last value is used because it is the one the saved checkpoint matches.

        Raises:
            NotFound: no succeeded experiment logged ``metric``.
        """
        if mode not in ("min", "max"):
            raise MlpipeError(f"mode must be 'min' or 'max', got {mode!r}")
        store = self._store(project)
        self._group_record(group, project)
        infos = [experiment_info(store.project, r) for r in store.experiments(int(group))]
        scored = [i for i in infos if i.status == SUCCEEDED and metric in i.metrics]
        if not scored:
            seen = sorted({m for i in infos for m in i.metrics})
            if not any(i.status == SUCCEEDED for i in infos):
                raise NotFound(
                    f"no experiment of group {group} has succeeded yet — wait for one"
                    f" (`mlpipe experiments {group}` shows their progress)"
                )
            raise NotFound(
                f"no succeeded experiment of group {group} logged {metric!r}"
                + (f" — metrics logged: {', '.join(seen)}" if seen else "")
            )
        pick = min if mode == "min" else max
        return pick(scored, key=lambda i: (i.metrics[metric], -i.id if mode == "max" else i.id))

    # -- settings -----------------------------------------------------------------------------
    def config(self) -> list[dict[str, str]]:
        """Every setting with its value and where the value came from."""
        return self.settings.explain()

    def set_config(self, name: str, value: str) -> Path:
        """Persist a setting in the config file and use it from now on."""
        path = save_setting(name, value)
        self.settings = self.settings.replace(**{name: value})
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
            "params": info.params,
            "metrics": info.metrics,
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
