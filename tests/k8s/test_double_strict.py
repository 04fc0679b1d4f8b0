"""The API double refuses what a Kubernetes 1.33 API server refuses, with the same answers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from jupyter_mlpipe.errors import KubernetesError
from jupyter_mlpipe.k8s.client import CONFIGMAP, JOB, WORKFLOW, KubeClient

from .double import KubeDouble
from .schemas import need_schemas


def _job(name: str = "j", **container: Any) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"suspend": True, "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "c", "image": "i", **container}]}}}}


def _status(kd: KubeDouble, body: dict[str, Any]) -> dict[str, Any]:
    """The Status body the API answers to creating Job ``body``, sent as raw HTTP (the official
    client would refuse some of these objects itself before sending them)."""
    url = f"{kd.url}/apis/batch/v1/namespaces/{kd.namespace}/jobs"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 422
    out: dict[str, Any] = json.loads(err.value.read())
    return out


def test_unknown_field_is_422_with_a_status_naming_the_field(kd: KubeDouble,
                                                             kc: KubeClient) -> None:
    status = _status(kd, _job(imagePullPolice="Always"))
    assert status["kind"] == "Status" and status["reason"] == "Invalid"
    assert status["code"] == 422 and status["details"]["kind"] == "Job"
    cause = status["details"]["causes"][0]
    assert cause["field"] == "spec.template.spec.containers.0"
    assert "imagePullPolice" in cause["message"]
    assert kd.objects("jobs") == []  # nothing stored


def test_wrong_types_are_refused(kd: KubeDouble, kc: KubeClient) -> None:
    body = _job()
    body["spec"]["parallelism"] = "two"
    assert "parallelism" in _status(kd, body)["details"]["causes"][0]["field"]


def test_job_pods_must_not_restart_always(kd: KubeDouble, kc: KubeClient) -> None:
    body = _job()
    del body["spec"]["template"]["spec"]["restartPolicy"]
    cause = _status(kd, body)["details"]["causes"][0]
    assert cause["field"] == "spec.template.spec.restartPolicy"


@pytest.mark.parametrize("name", ["Upper", "under_score", "-lead", "trail-", "x" * 64, ""])
def test_job_names_follow_the_dns_rules(kd: KubeDouble, kc: KubeClient, name: str) -> None:
    with pytest.raises(KubernetesError) as err:
        kc.create(_job(name))
    assert err.value.status == 422 and "metadata.name" in str(err.value)


def test_a_configmap_name_may_be_long_and_dotted(kd: KubeDouble, kc: KubeClient) -> None:
    name = "a." + "b" * 100
    kc.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
    assert kc.get(CONFIGMAP, name)["metadata"]["name"] == name


def test_label_values_are_checked(kd: KubeDouble, kc: KubeClient) -> None:
    with pytest.raises(KubernetesError, match="valid label"):
        kc.create({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "c", "labels": {"k": "has space"}}})


def test_job_template_is_immutable_once_started(kd: KubeDouble, kc: KubeClient) -> None:
    kc.create(_job())
    # suspended and never started: scheduling directives may still change
    kc.patch(JOB, "j", {"spec": {"template": {"spec": {"nodeSelector": {"pool": "gpu"}}}}})
    with pytest.raises(KubernetesError) as err:
        kc.patch(JOB, "j", {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "other"}]}}}})
    assert err.value.status == 422 and "spec.template: field is immutable" in str(err.value)
    kc.patch(JOB, "j", {"spec": {"suspend": False}})
    kd.wait(lambda: bool(kd.objects("jobs")[0].get("status", {}).get("startTime")))
    with pytest.raises(KubernetesError, match="immutable"):
        kc.patch(JOB, "j", {"spec": {"template": {"spec": {"nodeSelector": {"pool": "b"}}}}})
    job = kc.get(JOB, "j")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "i"


def test_stale_resource_version_is_a_409_conflict(kd: KubeDouble, kc: KubeClient) -> None:
    created = kc.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                         "data": {"k": "1"}})
    rv = created["metadata"]["resourceVersion"]
    fresh = kc.patch(CONFIGMAP, "c", {"metadata": {"resourceVersion": rv}, "data": {"k": "2"}})
    with pytest.raises(KubernetesError) as err:  # written against the version before
        kc.patch(CONFIGMAP, "c", {"metadata": {"resourceVersion": rv}, "data": {"k": "3"}})
    assert err.value.status == 409 and "modified" in str(err.value)
    assert kc.get(CONFIGMAP, "c")["data"] == {"k": "2"}
    body = {**fresh, "data": {"k": "4"}}
    kc.core.replace_namespaced_config_map("c", kc.namespace, body)
    with pytest.raises(ApiException) as raw:
        kc.core.replace_namespaced_config_map("c", kc.namespace, {**body, "data": {"k": "5"}})
    assert raw.value.status == 409
    assert kc.get(CONFIGMAP, "c")["data"] == {"k": "4"}


def test_workflow_typos_are_refused_against_the_crd(kd: KubeDouble, kc: KubeClient) -> None:
    need_schemas()
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
          "metadata": {"name": "w"},
          "spec": {"entrypoint": "main", "templates": [
              {"name": "main", "container": {"image": "i", "comand": ["x"]}}]}}
    with pytest.raises(KubernetesError) as err:
        kc.create(wf)
    assert err.value.status == 422 and "comand" in str(err.value)
    wf["spec"]["templates"][0]["container"] = {"image": "i", "command": ["x"]}
    assert kc.create(wf)["metadata"]["name"] == "w"
    assert kc.get(WORKFLOW, "w")
