"""Serve a packaged model on the cluster as a Seldon Core v1 SeldonDeployment.

The deployment runs the built image (by digest when the build recorded a pushed one), with
probes that let a model load before liveness counts and one REST worker so the model loads once.
Deploying again patches the existing object (create → 409 → merge patch). The deployer watches
``status.state`` until ``Available`` (or ``Failed``, whose description becomes the error) and
records the deployment in the store like every backend, so ``predict``, ``deployments`` and
``undeploy`` work from any process.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ..errors import DeployError, KubernetesError, NotFound
from ..k8s.client import SELDON, KubeClient
from ..k8s.manifests import Predictor, SeldonModel, label_value, render_seldon_deployment
from ..k8s.watch import wait_for
from ..store import DeploymentStore, validate_name
from .base import HEALTHY, STALE, STARTING, UNHEALTHY, Deployer, DeploySpec

STATES = {"Available": HEALTHY, "Creating": STARTING, "Failed": UNHEALTHY}


def image_by_digest(image: str, lineage: Mapping[str, Any]) -> str:
    """``repo@sha256:…`` when the lineage records a pushed build of ``image``, else ``image``."""
    digest = str(lineage.get("digest") or "")
    if "@" in image or not digest.startswith("sha256:") or not lineage.get("pushed"):
        return image
    if lineage.get("image") not in (None, image):
        return image  # the digest belongs to another reference
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repo}@{digest}"


class SeldonDeployer(Deployer):
    """Deploys to the settings' namespace.

    Args:
        settings: the settings in force (namespace, ingress_url, outputs root, user).
        client: the API seam (default: from the settings).
        timeout: seconds to wait for ``Available``.
        resources: container requests/limits for every predictor.
    """

    name = "seldon"

    def __init__(self, settings: Any, client: KubeClient | None = None, *,
                 timeout: float = 600, resources: Mapping[str, Any] | None = None) -> None:
        self.settings = settings
        self._client = client
        self.timeout = timeout
        self.resources = dict(resources or {"requests": {"cpu": "250m", "memory": "512Mi"}})
        self.records = DeploymentStore(settings.outputs_root, settings.user)

    @property
    def client(self) -> KubeClient:
        if self._client is None:
            self._client = KubeClient.from_settings(self.settings)
        return self._client

    # -- rendering ------------------------------------------------------------------------------
    def _model(self, spec: DeploySpec) -> SeldonModel:
        validate_name(spec.name, "deployment")
        if not spec.image:
            raise DeployError(f"deployment {spec.name} needs an image on the seldon backend —"
                              f" build it first (mlpipe build {spec.name} --backend argo"
                              " --image REF --push) or pass --image")
        image = image_by_digest(spec.image, spec.lineage)
        canary_share = int(spec.canary["traffic"]) if spec.canary else 0
        predictors = [Predictor("default", image, spec.replicas, 100 - canary_share)]
        if spec.canary:
            predictors.append(Predictor("canary", str(spec.canary["image"]), spec.replicas,
                                        canary_share))
        if spec.shadow:
            predictors.append(Predictor("shadow", str(spec.shadow["image"]), 1, shadow=True))
        annotations = {"mlpipe.io/image": image}
        for key in ("experiment", "group", "project"):
            if spec.lineage.get(key) is not None:
                annotations[f"mlpipe.io/{key}"] = str(spec.lineage[key])
        return SeldonModel(name=spec.name, namespace=self.settings.namespace,
                           predictors=predictors, resources=self.resources,
                           labels={"mlpipe.io/package": label_value(spec.name)},
                           annotations=annotations)

    def render(self, spec: DeploySpec) -> list[dict[str, Any]]:
        return [render_seldon_deployment(self._model(spec))]

    # -- acting -----------------------------------------------------------------------------------
    def deploy(self, spec: DeploySpec) -> dict[str, Any]:
        """Create or patch the SeldonDeployment and wait until it is Available.

        Raises:
            DeployError: it failed (Seldon's description) or was not Available in time.
            KubernetesError: the API refused it (403: apply the cluster manifests).
        """
        body = render_seldon_deployment(self._model(spec))
        try:
            self.client.create(body)
        except KubernetesError as exc:
            if exc.status != 409:
                raise
            self.client.patch(SELDON, spec.name, {"metadata": {
                "labels": body["metadata"]["labels"],
                "annotations": body["metadata"]["annotations"]}, "spec": body["spec"]})
        last: dict[str, Any] = {}

        def settled(obj: dict[str, Any]) -> bool:
            last.update(obj)
            status = obj.get("status") or {}
            current = status.get("observedGeneration") in (None, obj["metadata"].get("generation"))
            return current and status.get("state") in ("Available", "Failed")

        final = wait_for(self.client, SELDON, spec.name, settled, self.timeout)
        where = f"kubectl -n {self.client.namespace} describe sdep {spec.name}"
        if final is None:
            state = (last.get("status") or {}).get("state", "unknown")
            raise DeployError(f"SeldonDeployment {spec.name} is not Available after"
                              f" {self.timeout:.0f}s (state {state}) — a slow model load or an"
                              f" image pull problem; inspect it with `{where}`")
        status = final.get("status") or {}
        if status.get("state") == "Failed":
            raise DeployError(f"SeldonDeployment {spec.name} failed:"
                              f" {status.get('description') or 'no description'} — `{where}`")
        record = {
            "name": spec.name, "backend": self.name, "url": self._url(spec.name),
            "folder": spec.folder, "image": body["spec"]["predictors"][0]["componentSpecs"][0][
                "spec"]["containers"][0]["image"],
            "lineage": dict(spec.lineage), "created": time.time(),
            "namespace": self.client.namespace, "replicas": spec.replicas,
            "predictors": [p["name"] for p in body["spec"]["predictors"]],
            "address": (status.get("address") or {}).get("url", ""),
        }
        self.records.save(record)
        return record

    def _url(self, name: str, predictor: str = "default") -> str:
        ns = self.settings.namespace
        if self.settings.ingress_url:
            base = self.settings.ingress_url.rstrip("/")
            return f"{base}/seldon/{ns}/{name}/api/v1.0/predictions"
        return f"http://{name}-{predictor}.{ns}.svc.cluster.local:8000/api/v1.0/predictions"

    def endpoint(self, name: str) -> str:
        return str(self.records.get(name).get("url") or self._url(name))

    def status(self, name: str) -> dict[str, Any]:
        record = self.records.get(name)
        try:
            obj = self.client.get(SELDON, name)
        except KubernetesError as exc:
            if exc.status == 404:
                return {**record, "health": STALE,
                        "detail": "the SeldonDeployment is gone from the cluster"}
            raise
        status = obj.get("status") or {}
        state = status.get("state", "Creating")
        detail = status.get("description") or f"state {state}"
        return {**record, "health": STATES.get(state, STARTING), "detail": detail}

    def list(self) -> list[dict[str, Any]]:
        return [self.status(r["name"]) for r in self.records.list()
                if r.get("backend") == self.name]

    def undeploy(self, name: str) -> None:
        """Delete the SeldonDeployment and its record.

        Raises:
            NotFound: neither a record nor the object exists.
        """
        try:
            self.records.get(name)
            known = True
        except NotFound:
            known = False
        try:
            self.client.delete(SELDON, name, propagation="Foreground", missing_ok=known)
        except KubernetesError as exc:
            if exc.status == 404:
                raise NotFound(f"deployment {name!r} does not exist here or in namespace"
                               f" {self.client.namespace} — list them with `mlpipe deployments`"
                               ) from exc
            raise
        self.records.remove(name)
