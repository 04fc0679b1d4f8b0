"""Every rendered manifest validates against its schema and carries what the cluster needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import BuildError, DeployError, ExecutorError, SpecError
from jupyter_mlpipe.k8s.manifests import (
    ClusterPaths,
    ClusterSetup,
    Predictor,
    SeldonModel,
    SweepPod,
    TrialEntry,
    WorkflowBuild,
    dns_label,
    dry_run_documents,
    label_value,
    parse_canary,
    render_build_workflow,
    render_cluster,
    render_indexed_job,
    render_params_configmap,
    render_seldon_deployment,
    render_trial_job,
)
from jupyter_mlpipe.k8s.manifests.resources import container_resources

from .schemas import unknown_fields, validate_core, validate_seldon, validate_workflow

PATHS = ClusterPaths(namespace="team", outputs_root="/output", data_root="/data",
                     repos_root="/home/jovyan")
ENV = {"resources": {"cpu": {"requests": 1, "limits": 2}, "memory": {"requests": 512},
                     "gpu": {"requests": 1}},
       "node_selector": {"accelerator": "t4"},
       "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]}


def _pod(**kw: object) -> SweepPod:
    base: dict[str, object] = dict(image="pytorch/pytorch:2.2", paths=PATHS, user="root",
                                   project="My_Mnist", group=12, environment=ENV, timeout=900,
                                   max_retries=2, working_dir="/home/jovyan/mnist")
    base.update(kw)
    return SweepPod(**base)  # type: ignore[arg-type]


def _trials(n: int) -> list[TrialEntry]:
    return [TrialEntry(index=i, experiment=120 + i, attempt=0,
                       argv=("python3", "run.py", f"--lr={0.01 * (i + 1)}", "; rm -rf /"),
                       env={"MLPIPE_TRIAL_PARAMS": json.dumps({"lr": 0.01 * (i + 1)})},
                       cwd="/home/jovyan/mnist", params={"lr": 0.01 * (i + 1)},
                       outputs_path=f"/output/root/mnist/groups/12/{120 + i}",
                       build_steps=("pip install torchvision",)) for i in range(n)]


def test_indexed_job_validates_and_is_suspended_with_per_index_retries() -> None:
    job = render_indexed_job(_pod(), _trials(10), 5, max_failed_indexes=3)
    validate_core(job)
    spec = job["spec"]
    assert spec["suspend"] is True and spec["completionMode"] == "Indexed"
    assert (spec["completions"], spec["parallelism"]) == (10, 5)
    assert (spec["backoffLimitPerIndex"], spec["maxFailedIndexes"]) == (2, 3)
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["python3", "/var/run/mlpipe/job/entry.py"]
    assert container["workingDir"] == "/home/jovyan/mnist"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["requests"]["memory"] == "512Mi"
    assert pod["nodeSelector"] == {"accelerator": "t4"} and pod["activeDeadlineSeconds"] == 900
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {"outputs": "/output", "data": "/data", "repos": "/home/jovyan",
                      "job": "/var/run/mlpipe/job"}
    claims = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName")
              for v in pod["volumes"]}
    assert claims["outputs"] == "mlpipe-outputs"
    assert job["metadata"]["name"] == "mlpipe-my-mnist-12"
    assert spec["template"]["metadata"]["labels"]["mlpipe.io/group"] == "12"


def test_user_values_never_reach_the_pod_command() -> None:
    job = render_indexed_job(_pod(), _trials(3), 2)
    text = json.dumps(job)
    assert "rm -rf" not in text and "run.py" not in text and "torchvision" not in text


def test_configmap_is_owned_by_the_job_and_holds_one_key_per_index() -> None:
    trials = _trials(4)
    job = render_indexed_job(_pod(), trials, 2)
    job["metadata"]["uid"] = "1234-abcd"
    cm = render_params_configmap(job, trials)
    validate_core(cm)
    assert set(cm["data"]) == {"entry.py", "common.json", "0.json", "1.json", "2.json", "3.json"}
    entry = json.loads(cm["data"]["2.json"])
    assert entry["experiment"] == 122 and entry["argv"][-1] == "; rm -rf /"
    owner = cm["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("Job", "1234-abcd", True)
    dry = render_params_configmap(render_indexed_job(_pod(), trials, 2), trials)
    assert "ownerReferences" not in dry["metadata"]


def test_shared_and_aliased_variables_are_stored_once_and_restored(tmp_path: Path) -> None:
    from jupyter_mlpipe.k8s.trial_entry import load_entry

    trials = [TrialEntry(i, 10 + i, 1, ("python3", "run.py"), {
        "MLPIPE_TRIAL_PARAMS": json.dumps({"lr": i}), "POLYAXON_PARAMS": json.dumps({"lr": i}),
        "POLYAXON_DECLARATIONS": json.dumps({"lr": i}), "MLPIPE_TRIAL_LOG_LEVEL": "INFO",
        "POLYAXON_LOG_LEVEL": "INFO"}, "/", {"lr": i}, f"/o/{i}") for i in range(3)]
    job = render_indexed_job(_pod(), trials, 1)
    cm = render_params_configmap(job, trials)
    stored = json.loads(cm["data"]["1.json"])
    assert json.loads(cm["data"]["common.json"])["env"] == {
        "MLPIPE_TRIAL_LOG_LEVEL": "INFO", "POLYAXON_LOG_LEVEL": "INFO"}
    assert len(stored["env"]) == 1 and len(stored["alias"]) == 2
    for key, text in cm["data"].items():
        (tmp_path / key).write_text(text)
    for t in trials:
        assert load_entry(tmp_path, str(t.index))["env"] == dict(t.env)


def test_configmap_over_one_mebibyte_is_refused() -> None:
    big = [TrialEntry(i, i, 0, ("x" * 2000,), {}, "/", {}, "/o") for i in range(600)]
    job = render_indexed_job(_pod(), big, 1)
    with pytest.raises(ExecutorError, match="1 MiB"):
        render_params_configmap(job, big)


def test_trial_job_for_adaptive_search_validates() -> None:
    trial = _trials(1)[0]
    job = render_trial_job(_pod(timeout=None, environment={}), trial)
    validate_core(job)
    assert job["metadata"]["labels"]["mlpipe.io/experiment"] == "120"
    assert job["spec"]["backoffLimit"] == 2 and "completionMode" not in job["spec"]
    assert job["spec"]["podFailurePolicy"]["rules"][0]["action"] == "FailJob"


def test_empty_sweep_is_refused() -> None:
    with pytest.raises(ExecutorError, match="at least one trial"):
        render_indexed_job(_pod(), [], 1)


def test_resources_reject_unknown_kinds() -> None:
    with pytest.raises(SpecError, match="tpu"):
        container_resources({"resources": {"tpu": {"requests": 1}}})
    assert container_resources({"resources": {"limits": {"cpu": 2}}}) == {"limits": {"cpu": "2"}}


def test_names_and_label_values_are_valid() -> None:
    long = dns_label("mlpipe", "x" * 80, 3, limit=52)
    assert len(long) <= 52 and long == dns_label("mlpipe", "x" * 80, 3, limit=52)
    assert label_value("registry.example/ns/img:1.0@sha256:" + "a" * 64).isascii()
    assert len(label_value("a" * 100)) <= 63


@pytest.mark.parametrize("builder", ["kaniko", "s2i-docker"])
@pytest.mark.parametrize("push", [True, False])
def test_build_workflow_validates_strictly(builder: str, push: bool) -> None:
    wf = render_build_workflow(WorkflowBuild(
        "mnist", "/home/jovyan/deployments/mnist", "registry.local/mnist:3", PATHS,
        builder=builder, push=push))
    validate_workflow(wf)
    spec = wf["spec"]
    assert spec["serviceAccountName"] == "mlpipe" and spec["activeDeadlineSeconds"] == 3600
    assert spec["ttlStrategy"] and spec["podGC"]["strategy"] == "OnPodSuccess"
    repos = spec["volumes"][0]["persistentVolumeClaim"]
    assert repos == {"claimName": "mlpipe-repos", "readOnly": True}


def test_kaniko_workflow_reads_context_readonly_and_exposes_the_digest() -> None:
    wf = render_build_workflow(WorkflowBuild(
        "mnist", "/home/jovyan/deployments/mnist", "registry.local/mnist:3", PATHS))
    build = wf["spec"]["templates"][0]
    args = build["container"]["args"]
    assert "--context=dir:///home/jovyan/deployments/mnist" in args
    assert "--destination=registry.local/mnist:3" in args
    assert any(a.startswith("--digest-file=") for a in args)
    assert all(m.get("readOnly") for m in build["container"]["volumeMounts"])
    assert build["outputs"]["parameters"][0]["name"] == "digest"
    secret = wf["spec"]["volumes"][1]["secret"]
    assert secret["items"] == [{"key": ".dockerconfigjson", "path": "config.json"}]


def test_workflow_refuses_folders_off_the_repos_volume() -> None:
    for folder in ("/tmp/mnist", "/home/jovyan/../etc", "deployments/mnist"):
        with pytest.raises(BuildError, match="repos volume"):
            render_build_workflow(WorkflowBuild("m", folder, "r/m:1", PATHS))
    with pytest.raises(BuildError, match="unknown Argo builder"):
        render_build_workflow(WorkflowBuild("m", "/home/jovyan/d/m", "r/m:1", PATHS,
                                            builder="docker"))


def test_strict_check_catches_a_typo() -> None:
    from .schemas import argo_schema

    wf = render_build_workflow(WorkflowBuild("m", "/home/jovyan/d/m", "r/m:1", PATHS))
    wf["spec"]["templates"][0]["container"]["volumeMount"] = []
    wf["spec"]["ttlStrategy"]["secondsAfterSucess"] = 1
    assert sorted(unknown_fields(wf, argo_schema())) == [
        ".spec.templates[0].container.volumeMount", ".spec.ttlStrategy.secondsAfterSucess"]


def test_seldon_deployment_with_canary_and_shadow_validates() -> None:
    model = SeldonModel("mnist", "team", [
        Predictor("default", "registry.local/mnist@sha256:" + "a" * 64, replicas=2, traffic=90),
        Predictor("canary", "registry.local/mnist2:1", traffic=10),
        Predictor("shadow", "registry.local/mnist3:1", shadow=True)],
        resources={"requests": {"cpu": "500m", "memory": "1Gi"}})
    sdep = render_seldon_deployment(model)
    validate_seldon(sdep)
    preds = {p["name"]: p for p in sdep["spec"]["predictors"]}
    assert (preds["default"]["traffic"], preds["canary"]["traffic"]) == (90, 10)
    assert preds["shadow"]["shadow"] is True and "traffic" not in preds["shadow"]
    container = preds["default"]["componentSpecs"][0]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {"GUNICORN_WORKERS": "1", "GRPC_WORKERS": "0"}
    assert container["startupProbe"]["failureThreshold"] * 5 >= 300
    assert container["image"].endswith("a" * 64)


def test_seldon_traffic_must_add_up() -> None:
    with pytest.raises(DeployError, match="sum to 100"):
        render_seldon_deployment(SeldonModel("m", "ns", [Predictor("a", "i", traffic=80)]))
    with pytest.raises(DeployError, match="unique"):
        render_seldon_deployment(SeldonModel("m", "ns", [Predictor("a", "i"),
                                                          Predictor("a", "j", shadow=True)]))
    assert parse_canary("mnist-v2:10") == ("mnist-v2", 10)
    for bad in ("mnist", "mnist:0", "mnist:100", ":5", "m:x"):
        with pytest.raises(DeployError, match="OTHER:PERCENT"):
            parse_canary(bad)


def test_cluster_setup_validates_and_grants_no_cluster_role() -> None:
    objs = render_cluster(ClusterSetup("nfs.example.org", namespace="team"))
    for obj in objs:
        validate_core(obj)
    kinds = [o["kind"] for o in objs]
    assert kinds.count("PersistentVolume") == 4 and kinds.count("PersistentVolumeClaim") == 4
    assert "ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds
    assert "cluster-admin" not in json.dumps(objs)
    role = next(o for o in objs if o["kind"] == "Role")
    granted = {r for rule in role["rules"] for r in rule["resources"]}
    assert granted == {"jobs", "configmaps", "pods", "pods/log", "workflows",
                       "workflowtaskresults", "seldondeployments", "secrets"}
    secrets = next(r for r in role["rules"] if r["resources"] == ["secrets"])
    assert secrets["verbs"] == ["get"] and secrets["resourceNames"] == ["mlpipe-registry"]
    assert all("*" not in rule["verbs"] for rule in role["rules"])
    lab = next(o for o in objs if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    env = {e["name"]: e for e in lab["containers"][0]["env"]}
    assert env["JUPYTER_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "mlpipe-jupyter-token"
    assert env["MLPIPE_OUTPUTS_ROOT"]["value"] == "/output"
    assert lab["initContainers"][0]["command"][:2] == ["pip", "install"]
    service = next(o for o in objs if o["kind"] == "Service")
    assert service["spec"]["type"] == "ClusterIP"
    pv = next(o for o in objs if o["kind"] == "PersistentVolume")
    assert pv["spec"]["nfs"]["server"] == "nfs.example.org"


def test_dry_run_documents_round_trip() -> None:
    import yaml

    trials = _trials(2)
    job = render_indexed_job(_pod(), trials, 2)
    objs = [job, render_params_configmap(job, trials)]
    text = dry_run_documents(objs)
    assert text.startswith("---") and list(yaml.safe_load_all(text)) == objs
