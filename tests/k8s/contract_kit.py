"""The Kubernetes executor as the executor contract suite sees it.

It runs against the API double in ``run`` mode: the double's Job controller makes the pods and
each pod runs its container command (the trial entry script, then the trial's argv) as a local
process with the pod's environment, so exit codes, logs, timeouts and stop requests are real.
The shared volumes are the test's own folders, mounted "at the same paths".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_mlpipe.engine.driver import Driver
from jupyter_mlpipe.executors.kubernetes import KubernetesExecutor
from jupyter_mlpipe.k8s.manifests import ClusterPaths
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store import GroupRecord, Store

from .double import KubeDouble


def make_executor(double: KubeDouble, store: Store, **kwargs: Any) -> KubernetesExecutor:
    paths = ClusterPaths(namespace=double.namespace, outputs_root=str(store.root),
                         data_root=str(store.root), repos_root=str(store.root))
    kwargs.setdefault("image", "python:3.11-slim")
    kwargs.setdefault("watch_timeout", 5)
    return KubernetesExecutor(store, double.client(), paths, **kwargs)


def notebook_env(double: KubeDouble, folder: Path, project: str) -> dict[str, str]:
    """A notebook's ``MLPIPE_*`` settings for a cluster that is ``double``: its kubeconfig,
    namespace ``lab`` (the double's), and ``folder`` as every volume."""
    return {"MLPIPE_OUTPUTS_ROOT": str(folder / "outputs"),
            "MLPIPE_KUBECONFIG": double.kubeconfig(folder / "kubeconfig"),
            "MLPIPE_NAMESPACE": double.namespace, "MLPIPE_REPOS_ROOT": str(folder),
            "MLPIPE_DATA_ROOT": str(folder), "MLPIPE_SUPERVISOR_IMAGE": "registry.local/lab:1",
            "MLPIPE_PROJECT": project, "MLPIPE_USER": "tester", "MLPIPE_REGISTRY": ""}


def drive(double: KubeDouble, store: Store, group: int) -> GroupRecord:
    """Run ``group`` to its end with the sweep driver and a Kubernetes executor on ``double``
    (the image from each group's spec); return the final group record."""
    executor = make_executor(double, store, image=None)
    try:
        return Driver(store, group, Settings.load(), executor, tick=0.1).run()
    finally:
        executor.close()


def kubernetes_executor(store: Store) -> Iterator[KubernetesExecutor]:
    """Factory for ``tests/contract``: yields an executor wired to a fresh double."""
    with KubeDouble(namespace="contract", mode="run") as double:
        executor = make_executor(double, store)
        try:
            yield executor
        finally:
            executor.stop(None)
            executor.close()
