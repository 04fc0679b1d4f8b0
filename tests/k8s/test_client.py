"""The API seam against the double: CRUD, errors as clear messages, safe-only retries, watch."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from jupyter_mlpipe.errors import ConfigError, KubernetesError
from jupyter_mlpipe.k8s.client import CONFIGMAP, JOB, KubeClient, load_configuration
from jupyter_mlpipe.k8s.watch import SYNC, events, wait_for

from .double import KubeDouble


def _cm(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}


def test_create_get_patch_delete_round_trip(kd: KubeDouble, kc: KubeClient) -> None:
    created = kc.create(_cm("one", app="x"))
    assert created["metadata"]["uid"] and created["metadata"]["namespace"] == "team"
    assert kc.get(CONFIGMAP, "one")["data"] == {"k": "v"}
    items, rv = kc.list(CONFIGMAP, "app=x")
    assert [i["metadata"]["name"] for i in items] == ["one"] and int(rv) > 0
    assert kc.list(CONFIGMAP, "app=y")[0] == []
    kc.delete(CONFIGMAP, "one")
    kc.delete(CONFIGMAP, "one")  # already gone: fine
    with pytest.raises(KubernetesError) as err:
        kc.get(CONFIGMAP, "one")
    assert err.value.status == 404 and "namespace team" in str(err.value)


def test_patch_is_sent_as_a_merge_patch(kd: KubeDouble, kc: KubeClient) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"suspend": True, "template": {"spec": {"restartPolicy": "Never",
                                                            "containers": [
               {"name": "c", "image": "i"}]}}}}
    kc.create(job)
    assert kc.patch(JOB, "j", {"spec": {"suspend": False}})["spec"]["suspend"] is False


@pytest.mark.parametrize(("status", "reason", "words"), [
    (403, "Forbidden", "Role from `mlpipe cluster manifests`"),
    (409, "AlreadyExists", "already exists"),
    (422, "Invalid", "--dry-run -o yaml"),
    (500, "InternalError", "try again later"),
])
def test_refused_writes_become_clear_errors_and_are_not_retried(
        kd: KubeDouble, kc: KubeClient, status: int, reason: str, words: str) -> None:
    kd.fail("POST", "/configmaps", status, reason)
    with pytest.raises(KubernetesError) as err:
        kc.create(_cm("two"))
    assert err.value.status == status and err.value.reason == reason
    assert words in str(err.value) and "creating ConfigMap two" in str(err.value)
    assert kd.calls("POST", "configmaps") == 1  # never repeated
    assert kc.list(CONFIGMAP)[0] == []


def test_409_from_the_api_itself(kd: KubeDouble, kc: KubeClient) -> None:
    kc.create(_cm("dup"))
    with pytest.raises(KubernetesError, match="HTTP 409 AlreadyExists"):
        kc.create(_cm("dup"))


def test_safe_reads_are_retried_on_transient_errors(kd: KubeDouble, kc: KubeClient) -> None:
    kc.create(_cm("three"))
    kd.fail("GET", "/configmaps/three", 500, "InternalError", times=2)
    assert kc.get(CONFIGMAP, "three")["metadata"]["name"] == "three"
    assert kd.calls("GET", "configmaps/three") == 3
    kd.fail("GET", "/configmaps/three", 503, "ServiceUnavailable", times=3)
    with pytest.raises(KubernetesError, match="503"):
        kc.get(CONFIGMAP, "three")
    kd.fail("GET", "/configmaps/three", 403, "Forbidden", times=5)
    before = kd.calls("GET", "configmaps/three")
    with pytest.raises(KubernetesError, match="403"):
        kc.get(CONFIGMAP, "three")
    assert kd.calls("GET", "configmaps/three") == before + 1  # 403 is not transient


def test_unreachable_api_names_the_host() -> None:
    from kubernetes import client

    conf = client.Configuration()
    conf.host = "http://127.0.0.1:9"
    kc = KubeClient(conf, "x", retries=1)
    with pytest.raises(KubernetesError, match="cannot reach the Kubernetes API at http://127"):
        kc.list(CONFIGMAP)


def test_missing_kubeconfig_is_a_config_error(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="kubeconfig"):
        load_configuration(str(tmp_path / "missing"))


def test_kubeconfig_file_is_used(kd: KubeDouble, tmp_path: Any) -> None:
    import yaml

    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "d",
        "clusters": [{"name": "d", "cluster": {"server": kd.url}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "d", "context": {"cluster": "d", "user": "u"}}]}))
    kc = KubeClient(load_configuration(str(path)), "team")
    kc.create(_cm("via-file"))
    assert kd.objects("configmaps")[0]["metadata"]["name"] == "via-file"
    kc.close()


def test_watch_resumes_and_relists_after_410(kd: KubeDouble, kc: KubeClient) -> None:
    kc.create(_cm("a", app="w"))
    seen: list[tuple[str, str]] = []
    stop = threading.Event()
    got = threading.Event()

    def consume() -> None:
        for etype, obj in events(kc, CONFIGMAP, "app=w", stop=stop, timeout=2):
            seen.append((etype, obj["metadata"]["name"]))
            if obj["metadata"]["name"] == "c":
                got.set()
                return

    t = threading.Thread(target=consume)
    t.start()
    try:
        kd.wait(lambda: kd.calls("GET", "configmaps", watch=True) >= 1)
        kc.create(_cm("b", app="w"))
        kd.wait(lambda: ("ADDED", "b") in seen)
        kd.expire_watches()  # the open watch ends with 410; the consumer must list again
        kd.wait(lambda: kd.calls("GET", "configmaps", watch=False) >= 2)
        kc.create(_cm("c", app="w"))
        assert got.wait(30)
    finally:
        stop.set()
        t.join(30)
    assert seen[0] == (SYNC, "a") and ("ADDED", "b") in seen
    assert (SYNC, "b") in seen[seen.index(("ADDED", "b")):]  # the relist after 410
    assert seen[-1] == ("ADDED", "c")


def test_watch_refused_is_raised(kd: KubeDouble, kc: KubeClient) -> None:
    kd.fail("GET", "/configmaps", 403, "Forbidden")
    with pytest.raises(KubernetesError, match="403"):
        next(events(kc, CONFIGMAP, "app=w"))


def test_wait_for_returns_when_done_or_none_after_timeout(kd: KubeDouble, kc: KubeClient) -> None:
    kc.create(_cm("d"))
    assert wait_for(kc, CONFIGMAP, "d", lambda o: o["data"]["k"] == "v", 10) is not None
    assert wait_for(kc, CONFIGMAP, "d", lambda o: False, 1) is None
