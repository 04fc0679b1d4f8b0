"""The double's Argo and Seldon controllers: just enough of each to exercise our backends."""

from __future__ import annotations

import threading
import time
from typing import Any

from .objects import ApiError, _now


def reconcile_workflow(double: Any, ns: str, name: str) -> None:
    """A new Workflow: Running, one build pod printing the scripted logs, then the outcome."""
    wf = double.store.get("workflows", ns, name)
    if wf.get("status"):
        return
    double.store.update("workflows", ns, name, lambda o: {
        **o, "status": {"phase": "Running", "startedAt": _now()}})
    threading.Thread(target=_run_workflow, args=(double, wf), daemon=True).start()


def _run_workflow(double: Any, wf: dict[str, Any]) -> None:
    ns, name, uid = wf["metadata"]["namespace"], wf["metadata"]["name"], wf["metadata"]["uid"]
    outcome = dict(double.workflow_outcome)
    pod_name = f"{name}-build-{abs(hash(uid)) % 10**9}"
    labels = {"workflows.argoproj.io/workflow": name, **(wf["spec"].get("podMetadata", {})
                                                       .get("labels") or {})}
    template = wf["spec"]["templates"][0]
    container = template.get("container") or {"name": "main", "image": "steps"}
    try:
        double.store.create("pods", ns, {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "labels": labels, "ownerReferences": [
                {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": name,
                 "uid": uid}]},
            "spec": {"containers": [{**container, "name": "main"}]},
            "status": {"phase": "Pending"}})
        double.set_pod(ns, pod_name, "Running")
        for line in outcome["logs"]:
            double.log(ns, pod_name, line)
            time.sleep(0.01)
        ok = outcome["phase"] == "Succeeded"
        double.set_pod(ns, pod_name, "Succeeded" if ok else "Failed", 0 if ok else 1)
        node = {"id": name, "name": name, "displayName": name, "type": "Pod",
                "templateName": template["name"], "phase": outcome["phase"]}
        if ok and outcome.get("digest"):
            node["outputs"] = {"parameters": [{"name": "digest", "value": outcome["digest"]}]}
        status = {"phase": outcome["phase"], "startedAt": _now(), "finishedAt": _now(),
                  "nodes": {name: node}}
        if outcome.get("message"):
            status["message"] = outcome["message"]
        double.store.update("workflows", ns, name, lambda o: {**o, "status": status})
    except ApiError:
        pass  # deleted meanwhile


def reconcile_seldon(double: Any, ns: str, name: str) -> None:
    """A new or changed SeldonDeployment: Creating, then the scripted state."""
    sdep = double.store.get("seldondeployments", ns, name)
    generation = sdep["metadata"].get("generation", 1)
    if (sdep.get("status") or {}).get("observedGeneration") == generation:
        return
    double.store.update("seldondeployments", ns, name, lambda o: {
        **o, "status": {"state": "Creating", "observedGeneration": generation}})
    threading.Thread(target=_finish_seldon, args=(double, ns, name, generation),
                     daemon=True).start()


def _finish_seldon(double: Any, ns: str, name: str, generation: int) -> None:
    time.sleep(0.05)
    outcome = dict(double.seldon_outcome)
    try:
        sdep = double.store.get("seldondeployments", ns, name)
    except ApiError:
        return
    predictor = sdep["spec"]["predictors"][0]["name"]
    status: dict[str, Any] = {"state": outcome["state"], "observedGeneration": generation}
    if outcome["state"] == "Available":
        status["address"] = {"url": f"http://{name}-{predictor}.{ns}.svc.cluster.local:8000"
                                    "/api/v1.0/predictions"}
    if outcome.get("description"):
        status["description"] = outcome["description"]
    try:
        double.store.update("seldondeployments", ns, name, lambda o: {**o, "status": status})
    except ApiError:
        pass
