"""Preparing a Kubernetes sweep's trial image before any Job exists.

:func:`prepare_trial_image` plans the image (:mod:`.trial`), asks the registry whether the
content-hash tag is already there (then nothing is built), else stages the build context in the
project folder (``.mlpipe-build/<tag>/``, on the repos volume so an Argo build pod reads it),
builds and pushes it with the ``build_backend`` (buildah/podman/docker locally, kaniko in an Argo
Workflow), streams the build's lines to ``on_line``, and records the result in the group folder
as ``trial-image.json``. The executor reads that record: its pods run the image **by digest**
and run no build step. A failed build fails the group with the build log's last lines and raises,
so no Job is ever created for it.

When the spec has no build steps and no registry is configured, there is nothing to build: the
pods run ``build.image`` as given (tracking then comes from the jupyter-mlpipe installed there).

Function sweeps (the notebook path, not built yet) reach the same image path through
:func:`ensure_image`: plan it with :func:`~.trial.plan_trial_image` from their base image,
steps and folder, then write the same record for the executor.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BuildError
from ..store import GroupRecord, Store
from ..store.files import atomic_write_json
from .base import BuildRequest, OnLine
from .registry import ImageRef, manifest_digest
from .trial import TrialImagePlan, plan_trial_image, render_trial_dockerfile

RECORD = "trial-image.json"  # read by executors.kubernetes_pod.read_trial_image
#: Registries docker itself treats as insecure (plain HTTP): loopback hosts.
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
TAIL = 15

Checker = Callable[..., "str | None"]


def _stderr(line: str) -> None:
    print(f"trial image: {line}", file=sys.stderr, flush=True)


#: Stands in for the registry in a dry run without one (``.invalid`` never resolves).
NO_REGISTRY = "registry.invalid"


def plan_for(settings: Any, group: GroupRecord, spec: Any, *, dry_run: bool = False
             ) -> TrialImagePlan | None:
    """The trial image ``group`` needs, or None when its pods run ``build.image`` as is.

    Args:
        dry_run: without a registry, plan with :data:`NO_REGISTRY` instead of refusing.

    Raises:
        BuildError: build steps but no registry to push to, or a step that is not an argv.
    """
    if not builds_image(settings, spec):
        return None
    steps = tuple(spec.build.build_steps)
    registry = str(getattr(settings, "registry", "") or "").rstrip("/")
    if not registry and dry_run:
        registry = NO_REGISTRY
    if not registry:
        raise BuildError(f"{group.spec_file}: build.build_steps need a trial image, built once"
                         " and pushed — set the registry (mlpipe config registry=HOST/PATH)")
    from ..k8s.manifests.common import label_value

    repository = f"{registry}/mlpipe-trial-{label_value(group.project).lower()}"
    return plan_trial_image(spec.build.image, steps, group.project_dir, repository)


def builds_image(settings: Any, spec: Any) -> bool:
    """Whether a sweep of ``spec`` builds (or finds) a trial image before its Jobs; when not,
    its pods run ``build.image`` as given."""
    build = getattr(spec, "build", None)
    registry = str(getattr(settings, "registry", "") or "")
    return build is not None and bool(build.build_steps or registry)


def tls_verify(image: str) -> bool:
    """Plain HTTP only for a loopback registry (as docker treats those)."""
    host = re.sub(r":\d+$", "", ImageRef.parse(image).registry)
    return host not in LOOPBACK


def record_path(store: Store, group: int) -> Path:
    return store.group_dir(group) / RECORD


def dry_run_trial_image(settings: Any, group: GroupRecord, spec: Any,
                        check: Checker = manifest_digest) -> tuple[list[dict[str, Any]],
                                                                   dict[str, Any] | None]:
    """What a sweep would build, for ``--dry-run``: (documents, the record the Job would use).

    The documents hold one ``TrialImageBuild`` (the Dockerfile, the tag, whether the registry
    already has it). The Job shows the digest when the registry has the image, else the tag
    (the real sweep swaps in the digest after the push).
    """
    plan = plan_for(settings, group, spec, dry_run=True)
    if plan is None:
        return [], None
    unset = plan.repository.startswith(NO_REGISTRY + "/")
    digest = None if unset else check(plan.image, tls_verify=tls_verify(plan.image))
    image = ImageRef.parse(plan.image).by_digest(digest) if digest else plan.image
    doc: dict[str, Any] = {
        "apiVersion": "mlpipe.io/v1", "kind": "TrialImageBuild", "metadata": {"name": plan.tag},
        "spec": {**plan.to_dict(), "backend": getattr(settings, "build_backend", "local"),
                 "present": bool(digest), "dockerfile": render_trial_dockerfile(plan)}}
    if unset:
        doc["spec"]["note"] = ("no registry is set: set it before running this sweep"
                               " (mlpipe config registry=HOST/PATH)")
    return [doc], {"image": image, "tag": plan.image, "digest": digest or "", "steps_built": True}


def prepare_trial_image(store: Store, settings: Any, group: GroupRecord, spec: Any, *,
                        builder: Any = None, on_line: OnLine | None = _stderr,
                        check: Checker = manifest_digest, mounts: tuple[str, ...] = ()
                        ) -> dict[str, Any] | None:
    """Build (or find) the trial image of ``group`` and record it for the executor.

    Args:
        builder: the :class:`~.base.Builder` (default: the ``build_backend`` setting's).
        on_line: receives progress and build output lines.
        check: the registry look-up (a seam for tests).
        mounts: bind mounts for RUN steps (local buildah/podman), e.g. a CA bundle.

    Returns:
        The record (``image`` by digest, ``tag``, ``digest``, ``built``), or None when the pods
        run ``build.image`` unchanged.

    Raises:
        BuildError: the build or push failed; the group is marked failed first.
    """
    try:
        plan = plan_for(settings, group, spec)
        if plan is None:
            return None
        digest, built = ensure_image(plan, settings, group.project_dir, f"trial-{group.id}",
                                     builder=builder, on_line=on_line, check=check,
                                     mounts=mounts)
    except BuildError as exc:
        fail_group(store, group, f"the trial image could not be built: {exc}")
        raise
    record = {"image": ImageRef.parse(plan.image).by_digest(digest), "tag": plan.image,
              "digest": digest, "built": built, "base": plan.base,
              "steps": [list(s) for s in plan.steps], "steps_built": True,
              "content_hash": plan.content_hash, "created": time.time()}
    atomic_write_json(record_path(store, group.id), record)
    store.log_event(group.id, "trial-image", image=record["image"], built=built)
    return record


def ensure_image(plan: TrialImagePlan, settings: Any, project_dir: str | Path, name: str, *,
                 builder: Any = None, on_line: OnLine | None = None,
                 check: Checker = manifest_digest, mounts: tuple[str, ...] = ()
                 ) -> tuple[str, bool]:
    """Find ``plan``'s image in its registry, else build and push it; return (digest, built).

    This is the seam any trial launcher uses (a sweep here; a function sweep plans its own
    image with :func:`~.trial.plan_trial_image` and calls this too). The build context is
    staged in ``project_dir/.mlpipe-build/<tag>/`` and removed afterwards.

    Raises:
        BuildError: the build or push failed (with the build log's last lines).
    """
    say = on_line or (lambda _line: None)
    secure = tls_verify(plan.image)
    digest = check(plan.image, tls_verify=secure)
    if digest is not None:
        say(f"{plan.image} is in the registry ({digest}); not rebuilt")
        return digest, False
    say(f"building {plan.image} from {plan.base} with {len(plan.steps)} build step(s)")
    return _build(plan, settings, Path(project_dir), name, builder, say, secure, mounts), True


def _build(plan: TrialImagePlan, settings: Any, project_dir: Path, name: str, builder: Any,
           say: OnLine, secure: bool, mounts: tuple[str, ...]) -> str:
    from . import make_builder
    from .trial import stage_context

    impl = builder or make_builder(getattr(settings, "build_backend", "local"), settings)
    context = project_dir / ".mlpipe-build" / plan.tag
    stage_context(plan, context)
    lines: list[str] = []

    def line(text: str) -> None:
        lines.append(text)
        say(text)

    request = BuildRequest(name=name, folder=context, image=plan.image,
                           push=True, builder_image=plan.base, mode="dockerfile",
                           tls_verify=secure, mounts=mounts)
    try:
        result = impl.build(request, on_line=line)
    except BuildError as exc:
        tail = "\n".join(lines[-TAIL:])
        text = str(exc)
        raise BuildError(text if tail and tail in text else
                         f"{text}\nlast build lines:\n{tail}") from exc
    finally:
        shutil.rmtree(context, ignore_errors=True)
        parent = context.parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
    if not str(result.digest).startswith("sha256:") or not result.pushed:
        raise BuildError(f"the build of {plan.image} reported no pushed digest — check the"
                         " registry setting and that the builder can push to it")
    return str(result.digest)


def fail_group(store: Store, group: GroupRecord, message: str) -> None:
    """Mark ``group`` failed before any trial ran: its trial image cannot be used."""
    record = store.read_group(group.id)
    store.write_group(record.evolve(status="failed", finished=time.time(), message=message))
    store.log_event(group.id, "trial-image-failed", message=message[-2000:])
