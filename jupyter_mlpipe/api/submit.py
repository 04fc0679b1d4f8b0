"""Submitting a validated spec: the group, its files, its supervisor (and dry runs).

:meth:`SubmitVerbs._submit` is the one path from spec text to a running group, shared by
polyaxonfile sweeps (:meth:`Mlpipe.sweep`) and function sweeps
(:meth:`~.functions.FunctionVerbs.sweep_function`).
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import InvalidArgument
from ..store import GroupRecord, Objective, Store
from ..store.files import atomic_write_bytes
from .scripts import check_scripts
from .sweeps import Sweep, start_supervisor

if TYPE_CHECKING:
    from ..settings import Settings
    from .core import Mlpipe

log = logging.getLogger("jupyter_mlpipe")


class SubmitVerbs:
    """The submit path, mixed into ``Mlpipe``."""

    settings: Settings
    _store: Any

    def _submit(
        self,
        text: str,
        label: str,
        project_dir: Path,
        *,
        files: dict[str, bytes] | None = None,
        name: str | None = None,
        project: str | None = None,
        backend: str | None = None,
        wait: bool = False,
        dry_run: bool = False,
        progress: bool | None = None,
        retries: int = 0,
        timeout: float | None = None,
        objective: str | Objective | None = None,
        function_sweep: bool = False,
    ) -> Sweep | list[dict[str, Any]]:
        """Validate ``text``, then create the group (with ``files`` in its folder) and start it.

        ``function_sweep``: the trials unpickle the notebook's function; on Kubernetes, their
        image is probed first (:meth:`_check_function_image`).
        """
        from ..search import make_search
        from ..spec import parse_spec

        spec = parse_spec(text, file=label)
        chosen = (
            objective
            if isinstance(objective, Objective) or objective is None
            else Objective.parse(objective)
        ) or spec_objective(spec)
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
                self._kubernetes_plan(store, spec, seed, plan, project_dir, function_sweep)
                if backend == "kubernetes"
                else plan
            )
        check_scripts(spec, plan, project_dir)
        if backend == "kubernetes":  # no cluster configured: say so now, create nothing
            from ..k8s.client import load_configuration

            load_configuration(self.settings.kubeconfig)
        if retries < 0:
            raise InvalidArgument(f"--retries must be 0 or more, got {retries}")
        if timeout is not None and not timeout > 0:
            raise InvalidArgument(f"--timeout must be a positive number of seconds, got {timeout}")
        from ..builders.trial_build import builds_image

        probe_first = backend == "kubernetes" and function_sweep
        if probe_first and not builds_image(self.settings, spec):  # pods run build.image as is
            image = spec.build.image if spec.build is not None else None
            assert image, "sweep_function requires image= on Kubernetes"
            self._check_function_image(store, spec, image)
            probe_first = False
        record = store.create_group(
            lambda gid: GroupRecord(
                id=gid,
                project=store.project,
                user=store.user,
                name=name or f"group-{gid}",
                created=time.time(),
                spec_file=label,
                project_dir=str(project_dir),
                algorithm=tuning.algorithm if tuning else "single",
                backend=backend,
                concurrency=tuning.concurrency if tuning else 1,
                planned=planned,
                kind=spec.kind,
                max_retries=retries,
                timeout=timeout,
                seed=seed,
                objective=chosen,
                metadata=dict(getattr(spec, "metadata", None) or {}),
            ),
            text,
        )
        for file_name, data in (files or {}).items():
            atomic_write_bytes(store.group_dir(record.id) / file_name, data)
        store.log_event(
            record.id,
            "submitted",
            spec=label,
            backend=backend,
            planned=planned,
            objective=str(chosen) if chosen else None,
            warnings=list(spec.warnings),
        )
        if backend == "kubernetes":  # trial image built once; the supervisor runs in-cluster
            from ..builders.trial_build import prepare_trial_image
            from ..executors.kubernetes_supervisor import start_cluster_supervisor

            built = prepare_trial_image(store, self.settings, record, spec)
            if probe_first and built is not None:  # the image just built or found
                self._check_function_image(store, spec, str(built["image"]), record)
            start_cluster_supervisor(store, self.settings, record.id)
        else:
            start_supervisor(store, record.id, self.settings)
        handle = Sweep(cast("Mlpipe", self), store.project, record.id)
        if wait:
            handle.wait(progress=progress)
        return handle

    def _check_function_image(
        self, store: Store, spec: Any, image: str, group: GroupRecord | None = None
    ) -> None:
        """Probe the trial image of a function sweep on Kubernetes: refuse it unless it runs
        this notebook's Python and cloudpickle and has jupyter-mlpipe. When ``group`` exists
        already (its image was just built), it is marked failed with the reason."""
        import cloudpickle

        from ..builders.trial_build import fail_group
        from ..errors import MlpipeError
        from ..executors.kubernetes_probe import check_function_image, image_probe
        from ..k8s.client import KubeClient
        from ..tracking.function_trial import python_version

        probe = image_probe(
            self.settings, image, user=store.user, project=store.project,
            environment=spec.environment,
        )
        client = KubeClient.from_settings(self.settings)
        try:
            check_function_image(
                client, probe, python=python_version(), cloudpickle=cloudpickle.__version__
            )
        except MlpipeError as exc:
            if group is not None:
                fail_group(store, group, f"the trial image cannot run the function: {exc}")
            raise
        finally:
            client.close()

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
        self,
        store: Store,
        spec: Any,
        seed: int,
        plan: list[dict[str, Any]],
        project_dir: Path,
        function_sweep: bool = False,
    ) -> list[dict[str, Any]]:
        """The Jobs and ConfigMaps a Kubernetes sweep of ``plan`` would create (nothing sent),
        after the image build and, for a function sweep, the image probe's Job."""
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
            project_dir=str(project_dir),
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
        from ..builders.trial_build import dry_run_trial_image

        builds, image = dry_run_trial_image(self.settings, group, spec)
        if function_sweep:
            from ..executors.kubernetes_probe import image_probe
            from ..k8s.manifests.probe import render_probe_job

            probe = image_probe(
                self.settings,
                str(image["image"]) if image else spec.build.image,
                user=store.user,
                project=store.project,
                environment=spec.environment,
            )
            builds.append(render_probe_job(probe))
        return builds + render_sweep(
            store, self.settings, group, launches, group.concurrency, spec=spec, trial_image=image
        )


def spec_objective(spec: Any) -> Objective | None:
    """The objective a spec states: its ``hptuning`` metric, else its one early-stopping metric."""
    tuning = spec.hptuning
    if tuning is None:
        return None
    metric = tuning.metric
    if metric is not None:
        return Objective(metric.name, "min" if metric.optimization == "minimize" else "max")
    policies = {(p.metric, p.optimization) for p in tuning.early_stopping}
    if len(policies) == 1:
        name, optimization = policies.pop()
        return Objective(name, "min" if optimization == "minimize" else "max")
    return None
