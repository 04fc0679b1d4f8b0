"""SeldonDeployment (``machinelearning.seldon.io/v1``) for a packaged model image.

One predictor serves the model; a canary adds a second predictor and splits traffic by weight;
a shadow predictor receives a copy of the traffic whose answers are discarded. The model server
runs one REST worker and no gRPC workers, so the model is loaded once per pod; probes give a
slow-loading model a start-up window before liveness checks can restart it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import DeployError
from .common import COMPONENT, label_value, metadata

CONTAINER = "classifier"  # the graph node name; answers carry meta.requestPath {classifier: image}
HEALTH = "/health/ping"


@dataclass(frozen=True)
class Predictor:
    """One predictor of a SeldonDeployment.

    Attributes:
        name: predictor name (``default``, ``canary``, ``shadow``).
        image: the model image, by digest when known (``repo@sha256:...``).
        replicas: pods serving this predictor.
        traffic: percent of requests (ignored for shadows).
        shadow: receive mirrored traffic only.
    """

    name: str
    image: str
    replicas: int = 1
    traffic: int = 100
    shadow: bool = False


@dataclass(frozen=True)
class SeldonModel:
    """A deployment to render.

    Attributes:
        name: the deployment name (a DNS-1123 label).
        namespace: where it lives.
        predictors: at least one; traffic of non-shadow predictors must sum to 100.
        resources: container ``resources`` (requests/limits) for every predictor.
        startup_seconds: how long a pod may take to load its model before liveness counts.
        labels, annotations: extra metadata (lineage summary, package name ...).
    """

    name: str
    namespace: str
    predictors: Sequence[Predictor]
    resources: Mapping[str, Any] = field(default_factory=dict)
    startup_seconds: int = 300
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


def _container(model: SeldonModel, image: str) -> dict[str, Any]:
    period = 5
    probe = {"httpGet": {"path": HEALTH, "port": "http"}, "periodSeconds": period,
             "timeoutSeconds": 5}
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": image,
        "env": [
            {"name": "GUNICORN_WORKERS", "value": "1"},  # one process: the model loads once
            {"name": "GRPC_WORKERS", "value": "0"},      # REST only, no second server process
        ],
        # liveness and readiness wait for start-up to succeed; start-up allows a slow load
        "startupProbe": {**probe, "failureThreshold": max(1, model.startup_seconds // period)},
        "readinessProbe": {**probe, "initialDelaySeconds": 5, "failureThreshold": 3},
        "livenessProbe": {**probe, "initialDelaySeconds": 30, "failureThreshold": 6},
    }
    if model.resources:
        container["resources"] = {k: dict(v) for k, v in model.resources.items()}
    return container


def _predictor(model: SeldonModel, pred: Predictor) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": pred.name,
        "replicas": pred.replicas,
        "componentSpecs": [{"spec": {"containers": [_container(model, pred.image)]}}],
        "graph": {"name": CONTAINER, "type": "MODEL", "endpoint": {"type": "REST"},
                  "children": []},
        "labels": {"version": label_value(pred.image.rsplit("/", 1)[-1])},
    }
    if pred.shadow:
        out["shadow"] = True
    else:
        out["traffic"] = pred.traffic
    return out


def check_traffic(predictors: Sequence[Predictor]) -> None:
    """Raise DeployError unless names are unique and non-shadow traffic sums to 100."""
    if not predictors:
        raise DeployError("a SeldonDeployment needs at least one predictor")
    names = [p.name for p in predictors]
    if len(set(names)) != len(names):
        raise DeployError(f"predictor names must be unique, got {names}")
    live = [p for p in predictors if not p.shadow]
    total = sum(p.traffic for p in live)
    if not live or total != 100 or any(not 0 <= p.traffic <= 100 for p in live):
        raise DeployError(f"traffic weights must be 0–100 and sum to 100, got"
                          f" {[(p.name, p.traffic) for p in live]} — e.g. --canary OTHER:10")


def render_seldon_deployment(model: SeldonModel) -> dict[str, Any]:
    """The SeldonDeployment object for ``model``.

    Raises:
        DeployError: traffic weights do not add up or predictor names repeat.
    """
    check_traffic(model.predictors)
    labels = {COMPONENT: "serving", **model.labels}
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": "SeldonDeployment",
        "metadata": metadata(model.name, model.namespace, labels, model.annotations),
        "spec": {
            "name": model.name,
            "protocol": "seldon",
            "predictors": [_predictor(model, p) for p in model.predictors],
        },
    }


def parse_canary(text: str) -> tuple[str, int]:
    """Split ``OTHER:PERCENT`` (the canary's deployment or package name and its traffic share).

    Raises:
        DeployError: the form or the percentage is wrong.
    """
    name, sep, pct = text.rpartition(":")
    if not sep or not name or not re.fullmatch(r"[0-9]{1,2}", pct) or not 0 < int(pct):
        raise DeployError(f"--canary takes OTHER:PERCENT with 0 < PERCENT < 100, got {text!r}"
                          " — e.g. mnist-v2:10")
    return name, int(pct)
