"""What every trial pod of a Kubernetes group shares: image, steps, environment section.

The pods run the group's trial image by digest when one was prepared before the sweep
(``trial-image.json`` in the group folder, written by
:func:`jupyter_mlpipe.builders.trial_build.prepare_trial_image`); otherwise ``build.image``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ExecutorError, MlpipeError
from ..k8s.manifests import ClusterPaths, SweepPod
from ..store import GroupRecord, Store

TRIAL_IMAGE_RECORD = "trial-image.json"  # written by builders.trial_build (same name)


def read_trial_image(store: Store, group: int) -> dict[str, Any] | None:
    """The group's built trial image (``trial-image.json`` in its folder, written before any
    Job by :func:`jupyter_mlpipe.builders.trial_build.prepare_trial_image`), or None."""
    from ..store.files import read_json

    path = store.group_dir(group) / TRIAL_IMAGE_RECORD
    return dict(read_json(path)) if path.is_file() else None


def pod_group(group: GroupRecord, store: Store, paths: ClusterPaths, image: str | None = None,
              spec: Any = None, trial_image: Mapping[str, Any] | None = None
              ) -> tuple[SweepPod, tuple[str, ...], dict[str, str]]:
    """What every pod of ``group`` shares, from its spec: (pod, build steps, build env vars).

    When the group has a trial image (``trial_image``, else the group's record of it), the pods
    run that image by digest and run no build step: the steps are in the image.

    Args:
        spec: the parsed spec; read from the group's stored spec when None.
        trial_image: the trial image record (a dry run passes the one it would build).

    Raises:
        ExecutorError: the spec has no ``build.image`` and no image was given.
        SpecError: the stored spec does not parse (and no image was given).
    """
    steps: tuple[str, ...] = ()
    env_vars: dict[str, str] = {}
    environment: Mapping[str, Any] = {}
    if spec is None:
        from ..spec import parse_spec

        try:
            spec = parse_spec(store.read_spec_text(group.id), file=group.spec_file)
        except MlpipeError:
            if image is None:
                raise
    if spec is not None:
        environment = spec.environment
        if spec.build is not None:
            image = image or spec.build.image
            steps, env_vars = spec.build.build_steps, dict(spec.build.env_vars)
    if trial_image is None and group.id:
        trial_image = read_trial_image(store, group.id)
    if trial_image is not None:
        image = str(trial_image["image"])
        steps = () if trial_image.get("steps_built") else steps
    if not image:
        raise ExecutorError(f"{group.spec_file}: the kubernetes backend needs build.image (the"
                            " trial image) — add a build section with image: REF")
    pod = SweepPod(image=image, paths=paths, user=group.user, project=group.project,
                   group=group.id, environment=environment, timeout=group.timeout,
                   max_retries=group.max_retries, working_dir=group.project_dir)
    return pod, steps, env_vars


def container_state(pod: Mapping[str, Any], container: str, state: str) -> dict[str, Any]:
    """The ``state`` (``waiting``, ``running`` or ``terminated``) of ``container`` in ``pod``'s
    status, or ``{}`` when it is not in that state (or not reported yet)."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container:
            return dict((cs.get("state") or {}).get(state) or {})
    return {}
