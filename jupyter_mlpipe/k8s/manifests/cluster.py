"""Cluster setup: what the original article created by hand, as manifests to ``kubectl apply``.

NFS-backed PersistentVolumes and claims for data, outputs, logs and repos; a ServiceAccount with a
namespaced Role granting only what jupyter-mlpipe calls; its RoleBinding; and JupyterLab as a
Deployment behind a ClusterIP Service, with a token required (read from a Secret), jupyter-mlpipe
installed, and the volumes at the article's paths (outputs at ``/output``, the repos folder as
home). Nothing here binds cluster-admin or any ClusterRole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ... import __version__
from ...errors import ConfigError
from .common import COMPONENT, dns_label, metadata

VOLUMES = ("data", "outputs", "logs", "repos")
HOME = "/home/jovyan"
#: Where the JupyterLab pod mounts each volume (the article's layout).
MOUNTS = {"data": "/data", "outputs": "/output", "logs": "/logs", "repos": HOME}


@dataclass(frozen=True)
class ClusterSetup:
    """Inputs of :func:`render_cluster`.

    Attributes:
        nfs_server: host name or address of the NFS server.
        namespace: where everything namespaced goes.
        nfs_paths: export path per volume (``data``, ``outputs``, ``logs``, ``repos``).
        sizes: capacity per volume (``10Gi`` ...).
        jupyter_image: a Jupyter Docker Stacks image (or one with jupyter-mlpipe preinstalled).
        install_extension: pip-install jupyter-mlpipe into the home folder at start (an init
            container); turn off when the image already has it.
        token_secret: the Secret holding the JupyterLab token under key ``token``.
        registry_secret: the docker-registry Secret image builds push with.
        service_account: the account JupyterLab, trials and builds use.
        package: the pip requirement installed by the init container.
    """

    nfs_server: str
    namespace: str = "mlpipe"
    nfs_paths: Mapping[str, str] = field(default_factory=lambda: {
        "data": "/exports/data", "outputs": "/exports/outputs", "logs": "/exports/logs",
        "repos": "/exports/repos"})
    sizes: Mapping[str, str] = field(default_factory=lambda: {
        "data": "50Gi", "outputs": "50Gi", "logs": "5Gi", "repos": "10Gi"})
    jupyter_image: str = "quay.io/jupyter/scipy-notebook:python-3.11"
    install_extension: bool = True
    token_secret: str = "mlpipe-jupyter-token"
    registry_secret: str = "mlpipe-registry"
    service_account: str = "mlpipe"
    package: str = f"jupyter-mlpipe[kubernetes]=={__version__}"

    def claim(self, volume: str) -> str:
        return f"mlpipe-{volume}"

    @classmethod
    def from_options(cls, nfs_server: str, *, namespace: str | None = None,
                     nfs_path: str = "/", jupyter_image: str | None = None,
                     settings: Any = None) -> ClusterSetup:
        """The setup for ``mlpipe cluster manifests``: one export root with a sub-folder per
        volume (``<nfs_path>/data`` ...), names from ``settings`` when given."""
        root = "/" + nfs_path.strip("/")
        paths = {v: f"{root.rstrip('/')}/{v}" for v in VOLUMES}
        extra: dict[str, Any] = {}
        if jupyter_image:
            extra["jupyter_image"] = jupyter_image
        if settings is not None:
            extra["service_account"] = settings.service_account
            extra["registry_secret"] = getattr(settings, "registry_secret", "mlpipe-registry")
        return cls(nfs_server=nfs_server, namespace=namespace or "mlpipe", nfs_paths=paths,
                   **extra)


def _volume_objects(setup: ClusterSetup, volume: str) -> list[dict[str, Any]]:
    pv_name = dns_label("mlpipe", setup.namespace, volume)  # PVs are cluster-wide: qualify
    labels = {COMPONENT: "storage", "mlpipe.io/volume": volume}
    size = setup.sizes.get(volume, "10Gi")
    pv = {"apiVersion": "v1", "kind": "PersistentVolume",
          "metadata": {k: v for k, v in metadata(pv_name, "", labels).items() if k != "namespace"},
          "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteMany"],
                   "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                   "nfs": {"server": setup.nfs_server, "path": setup.nfs_paths[volume]}}}
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": metadata(setup.claim(volume), setup.namespace, labels),
           "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "",
                    "volumeName": pv_name, "resources": {"requests": {"storage": size}}}}
    return [pv, pvc]


def _rule(group: str, resources: list[str], verbs: list[str],
          names: list[str] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"apiGroups": [group], "resources": resources, "verbs": verbs}
    if names:
        rule["resourceNames"] = names
    return rule


def _rbac(setup: ClusterSetup) -> list[dict[str, Any]]:
    labels = {COMPONENT: "rbac"}
    name = setup.service_account
    manage = ["create", "get", "list", "watch", "patch", "delete"]
    rules = [
        _rule("batch", ["jobs"], manage),
        _rule("", ["configmaps"], ["create", "get", "list", "delete"]),
        _rule("", ["pods"], ["get", "list", "watch"]),
        _rule("", ["pods/log"], ["get"]),
        _rule("argoproj.io", ["workflows"], manage),
        # Argo's executor in build pods (same account) reports step results through these
        _rule("argoproj.io", ["workflowtaskresults"], ["create", "patch"]),
        _rule("machinelearning.seldon.io", ["seldondeployments"], manage),
        _rule("", ["secrets"], ["get"], [setup.registry_secret]),
    ]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": metadata(name, setup.namespace, labels)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": metadata(name, setup.namespace, labels), "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": metadata(name, setup.namespace, labels),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": setup.namespace}]},
    ]


def _lab_env(setup: ClusterSetup) -> list[dict[str, Any]]:
    values = {
        "MLPIPE_OUTPUTS_ROOT": MOUNTS["outputs"], "MLPIPE_DATA_ROOT": MOUNTS["data"],
        "MLPIPE_REPOS_ROOT": HOME, "MLPIPE_DEPLOYMENTS_ROOT": f"{HOME}/deployments",
        "MLPIPE_NAMESPACE": setup.namespace, "MLPIPE_SERVICE_ACCOUNT": setup.service_account,
        "MLPIPE_OUTPUTS_PVC": setup.claim("outputs"), "MLPIPE_DATA_PVC": setup.claim("data"),
        "MLPIPE_REPOS_PVC": setup.claim("repos"), "MLPIPE_BACKEND": "kubernetes",
        "MLPIPE_BUILD_BACKEND": "argo", "MLPIPE_DEPLOY_BACKEND": "seldon",
        # user-site installs (the init container's) must hold the server extension's config
        "JUPYTER_CONFIG_PATH": f"{HOME}/.local/etc/jupyter",
    }
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in values.items()]
    # Jupyter Server reads JUPYTER_TOKEN; the token itself stays in the Secret
    env.append({"name": "JUPYTER_TOKEN", "valueFrom": {"secretKeyRef": {
        "name": setup.token_secret, "key": "token"}}})
    return env


def _jupyter(setup: ClusterSetup) -> list[dict[str, Any]]:
    labels = {COMPONENT: "jupyterlab"}
    mounts = [{"name": v, "mountPath": MOUNTS[v]} for v in VOLUMES]
    container = {
        "name": "jupyterlab", "image": setup.jupyter_image,
        "args": ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser",
                 "--ServerApp.allow_remote_access=True"],
        "ports": [{"name": "http", "containerPort": 8888}],
        "env": _lab_env(setup), "volumeMounts": mounts, "workingDir": HOME,
        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10},
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    pod: dict[str, Any] = {
        "serviceAccountName": setup.service_account,
        "securityContext": {"fsGroup": 100},
        "containers": [container],
        "volumes": [{"name": v, "persistentVolumeClaim": {"claimName": setup.claim(v)}}
                    for v in VOLUMES],
    }
    if setup.install_extension:
        pod["initContainers"] = [{
            "name": "install-mlpipe", "image": setup.jupyter_image,
            "command": ["pip", "install", "--user", "--no-cache-dir", setup.package],
            "env": [{"name": "HOME", "value": HOME}],
            "volumeMounts": [{"name": "repos", "mountPath": HOME}],
            "securityContext": {"allowPrivilegeEscalation": False}}]
    selector = {"app.kubernetes.io/name": "mlpipe-jupyterlab"}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": metadata("mlpipe-jupyterlab", setup.namespace, {**labels, **selector}),
        "spec": {"replicas": 1, "strategy": {"type": "Recreate"},
                 "selector": {"matchLabels": selector},
                 "template": {"metadata": {"labels": {**labels, **selector}}, "spec": pod}}}
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": metadata("mlpipe-jupyterlab", setup.namespace, labels),
        "spec": {"type": "ClusterIP", "selector": selector,
                 "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
    return [deployment, service]


def render_cluster(setup: ClusterSetup | None = None, *, nfs_server: str | None = None,
                   namespace: str | None = None, nfs_path: str = "/",
                   jupyter_image: str | None = None, settings: Any = None
                   ) -> list[dict[str, Any]]:
    """Every object of the cluster setup, in apply order (storage, RBAC, JupyterLab).

    Pass a :class:`ClusterSetup`, or the ``mlpipe cluster manifests`` options as keywords
    (see :meth:`ClusterSetup.from_options`).

    The JupyterLab token Secret and the registry Secret are not rendered — secrets do not
    belong in files: create them with ``kubectl create secret`` (see the README).
    """
    if setup is None:
        if not nfs_server:
            raise ConfigError("cluster manifests need the NFS server — pass --nfs-server HOST")
        setup = ClusterSetup.from_options(nfs_server, namespace=namespace, nfs_path=nfs_path,
                                          jupyter_image=jupyter_image, settings=settings)
    out: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace",
                                  "metadata": {"name": setup.namespace}}]
    for volume in VOLUMES:
        out += _volume_objects(setup, volume)
    return out + _rbac(setup) + _jupyter(setup)
