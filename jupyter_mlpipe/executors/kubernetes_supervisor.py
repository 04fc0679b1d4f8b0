"""Starting a Kubernetes sweep's supervisor in the cluster, not in the JupyterLab pod.

:func:`start_cluster_supervisor` creates the group's supervisor Job
(:func:`~jupyter_mlpipe.k8s.manifests.supervisor.render_supervisor_job`) and records it in the
group folder as ``cluster-supervisor.json``; from then on, whether the group's supervisor lives
is read from its heartbeat in the store (``engine.reconcile``), and nothing the sweep needs is in
the notebook's pod. The supervisor's image is the ``supervisor_image`` setting, else the image of
the pod this runs in (the JupyterLab pod, found by its ``HOSTNAME``).
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from ..errors import ConfigError, KubernetesError
from ..store import Store
from ..store.files import atomic_write_json

CLUSTER_RECORD = "cluster-supervisor.json"


def settings_variables(settings: Any) -> dict[str, str]:
    """The settings in force as ``MLPIPE_*`` variables (the supervisor pod reads the same)."""
    from ..settings import REGISTRY

    return {s.env_var: str(settings.values[s.name]) for s in REGISTRY}


def supervisor_image(settings: Any, client: Any) -> str:
    """The image the supervisor pod runs: the setting, else this pod's own image.

    Raises:
        ConfigError: neither is known.
    """
    image = str(getattr(settings, "supervisor_image", "") or "")
    if image:
        return image
    from ..k8s.client import POD

    pod = os.environ.get("HOSTNAME", "")
    try:
        found = client.get(POD, pod) if pod else {}
    except KubernetesError:
        found = {}
    containers = (found.get("spec") or {}).get("containers") or []
    if containers and containers[0].get("image"):
        return str(containers[0]["image"])
    raise ConfigError("a Kubernetes sweep's supervisor runs in the cluster with the JupyterLab"
                      " image, and this process is not in a pod whose image can be read — set"
                      " it: mlpipe config supervisor_image=REGISTRY/IMAGE:TAG")


def start_cluster_supervisor(store: Store, settings: Any, group: int, *, client: Any = None,
                             image: str | None = None) -> str:
    """Create the supervisor Job of ``group``; return its name.

    Args:
        client: the API seam (default: from the settings).
        image: the supervisor's image (default: :func:`supervisor_image`).

    Raises:
        ConfigError: no image for the supervisor.
        KubernetesError: the API refused the Job.
    """
    from ..k8s.client import KubeClient
    from ..k8s.manifests import ClusterPaths
    from ..k8s.manifests.supervisor import SupervisorPod, render_supervisor_job

    client = client or KubeClient.from_settings(settings)
    record = store.read_group(group)
    sup = SupervisorPod(image=image or supervisor_image(settings, client),
                        paths=ClusterPaths.from_settings(settings), user=record.user,
                        project=record.project, group=group, env=settings_variables(settings),
                        suffix=secrets.token_hex(2))
    created = client.create(render_supervisor_job(sup))
    name = str(created["metadata"]["name"])
    atomic_write_json(store.group_dir(group) / CLUSTER_RECORD,
                      {"job": name, "namespace": client.namespace, "image": sup.image,
                       "created": time.time()})
    store.log_event(group, "supervisor-job-created", job=name)
    return name
