"""The Argo builder and the Seldon deployer through the official client and the API double."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.builders.argo import ArgoBuilder, workflow_digest
from jupyter_mlpipe.builders.base import BuildRequest
from jupyter_mlpipe.deployers.base import DeploySpec
from jupyter_mlpipe.deployers.seldon import SeldonDeployer, image_by_digest
from jupyter_mlpipe.errors import BuildError, DeployError, KubernetesError, NotFound
from jupyter_mlpipe.settings import Settings

from .double import KubeDouble
from .schemas import SCHEMAS, validate_seldon, validate_workflow

DIGEST = "sha256:" + "d" * 64


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load().replace(namespace="team", repos_root=str(tmp_path / "repos"),
                                   outputs_root=str(tmp_path / "outputs"))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    folder = tmp_path / "repos" / "deployments" / "mnist"
    (folder / ".s2i").mkdir(parents=True)
    (folder / ".s2i" / "environment").write_text(
        "MODEL_NAME=MnistModel\nSERVICE_TYPE=MODEL\nPERSISTENCE=0\nAPI_TYPE=REST\n")
    (folder / "MnistModel.py").write_text("class MnistModel:\n    pass\n")
    (folder / "requirements.txt").write_text("torch\n")
    (folder / "lineage.json").write_text(json.dumps({"experiment": 120, "group": 12}))
    return folder


@pytest.fixture
def kd() -> Iterator[KubeDouble]:
    with KubeDouble(namespace="team") as double:
        yield double


def _request(folder: Path, **kw: Any) -> BuildRequest:
    return BuildRequest(name="mnist", folder=str(folder), image="registry.local/mnist:1",
                        push=True, **kw)


def test_argo_build_streams_logs_and_records_the_digest(
        kd: KubeDouble, settings: Settings, package: Path) -> None:
    lines: list[str] = []
    result = ArgoBuilder(settings, kd.client()).build(_request(package), on_line=lines.append)
    assert result.digest == DIGEST and result.pushed and result.builder == "argo/kaniko"
    assert lines == ["building", "pushed"]
    assert (package / "Dockerfile").is_file() and result.dockerfile_path.endswith("Dockerfile")
    lineage = json.loads((package / "lineage.json").read_text())
    assert lineage["digest"] == DIGEST and lineage["image"] == "registry.local/mnist:1"
    (wf,) = kd.objects("workflows")
    assert wf["metadata"]["name"].startswith("mlpipe-build-mnist-")
    assert lineage["workflow"] == wf["metadata"]["name"]
    if SCHEMAS.is_dir():
        validate_workflow({k: v for k, v in wf.items() if k != "status"} | {
            "metadata": {"generateName": "x-", "namespace": "team"}})


def test_argo_failure_reports_the_message_and_log_tail(
        kd: KubeDouble, settings: Settings, package: Path) -> None:
    kd.workflow_outcome = {"phase": "Failed", "message": "child 'build' failed",
                           "logs": ["error pushing image: UNAUTHORIZED"], "digest": ""}
    with pytest.raises(BuildError) as err:
        ArgoBuilder(settings, kd.client()).build(_request(package))
    text = str(err.value)
    assert "failed: child 'build' failed" in text and "UNAUTHORIZED" in text
    assert "kubectl -n team get workflow mlpipe-build-mnist-" in text
    assert "digest" not in json.loads((package / "lineage.json").read_text())


def test_argo_submit_refused(kd: KubeDouble, settings: Settings, package: Path) -> None:
    kd.fail("POST", "/workflows", 403, "Forbidden")
    with pytest.raises(KubernetesError, match="403 Forbidden.*Role"):
        ArgoBuilder(settings, kd.client()).build(_request(package))


def test_argo_render_and_builder_choice(settings: Settings, package: Path) -> None:
    builder = ArgoBuilder(settings)
    (wf,) = builder.render(_request(package, builder="s2i-docker"))
    assert wf["spec"]["templates"][0]["steps"][0][0]["template"] == "s2i-build"
    with pytest.raises(BuildError, match="kaniko or s2i-docker"):
        builder.render(_request(package, builder="docker"))
    with pytest.raises(BuildError, match="repos volume"):
        builder.render(_request(package.parent.parent.parent / "elsewhere"))


def test_digest_from_either_builder() -> None:
    kaniko = {"status": {"nodes": {"a": {"outputs": {"parameters": [
        {"name": "digest", "value": DIGEST + "\n"}]}}}}}
    s2i = {"status": {"nodes": {"b": {}, "c": {"outputs": {
        "result": "registry.local/mnist@" + DIGEST}}}}}
    assert workflow_digest(kaniko) == DIGEST == workflow_digest(s2i)
    assert workflow_digest({"status": {}}) == ""


def _spec(package: Path, **kw: Any) -> DeploySpec:
    base: dict[str, Any] = dict(name="mnist", folder=str(package),
                                image="registry.local/mnist:1",
                                lineage={"image": "registry.local/mnist:1", "digest": DIGEST,
                                         "pushed": True, "experiment": 120})
    base.update(kw)
    return DeploySpec(**base)


def test_seldon_deploy_waits_for_available_and_records(
        kd: KubeDouble, settings: Settings, package: Path) -> None:
    deployer = SeldonDeployer(settings, kd.client())
    record = deployer.deploy(_spec(package, replicas=2))
    assert record["url"] == ("http://mnist-default.team.svc.cluster.local:8000"
                             "/api/v1.0/predictions")
    assert record["image"] == "registry.local/mnist@" + DIGEST
    (sdep,) = kd.objects("seldondeployments")
    assert sdep["spec"]["predictors"][0]["replicas"] == 2
    assert sdep["metadata"]["annotations"]["mlpipe.io/experiment"] == "120"
    if SCHEMAS.is_dir():
        validate_seldon({k: v for k, v in sdep.items() if k != "status"})
    assert deployer.endpoint("mnist") == record["url"]
    assert deployer.status("mnist")["health"] == "healthy"
    assert [r["name"] for r in deployer.list()] == ["mnist"]


def test_seldon_ingress_endpoint(kd: KubeDouble, settings: Settings, package: Path) -> None:
    deployer = SeldonDeployer(settings.replace(ingress_url="http://ambassador/"), kd.client())
    assert deployer.deploy(_spec(package))["url"] == (
        "http://ambassador/seldon/team/mnist/api/v1.0/predictions")


def test_seldon_redeploy_patches(kd: KubeDouble, settings: Settings, package: Path) -> None:
    deployer = SeldonDeployer(settings, kd.client())
    deployer.deploy(_spec(package))
    deployer.deploy(_spec(package, replicas=3, canary={"image": "registry.local/mnist:2",
                                                       "traffic": 20},
                          shadow={"image": "registry.local/mnist:3"}))
    assert kd.calls("PATCH", "seldondeployments") == 1
    (sdep,) = kd.objects("seldondeployments")
    preds = {p["name"]: p for p in sdep["spec"]["predictors"]}
    assert (preds["default"]["traffic"], preds["canary"]["traffic"]) == (80, 20)
    assert preds["shadow"]["shadow"] is True and preds["default"]["replicas"] == 3
    assert sdep["metadata"]["generation"] == 2


def test_seldon_failure_carries_the_reason(
        kd: KubeDouble, settings: Settings, package: Path) -> None:
    kd.seldon_outcome = {"state": "Failed", "description": "Cannot find image registry.local"}
    with pytest.raises(DeployError, match="failed: Cannot find image"):
        SeldonDeployer(settings, kd.client()).deploy(_spec(package))


def test_seldon_timeout_says_what_to_check(
        kd: KubeDouble, settings: Settings, package: Path) -> None:
    kd.seldon_outcome = {"state": "Creating"}
    with pytest.raises(DeployError, match="not Available after 1s .state Creating"):
        SeldonDeployer(settings, kd.client(), timeout=1).deploy(_spec(package))


def test_seldon_undeploy_and_stale(kd: KubeDouble, settings: Settings, package: Path) -> None:
    deployer = SeldonDeployer(settings, kd.client())
    deployer.deploy(_spec(package))
    kd.store.delete("seldondeployments", "team", "mnist")  # removed behind our back
    assert deployer.status("mnist")["health"] == "stale"
    deployer.undeploy("mnist")
    with pytest.raises(NotFound):
        deployer.status("mnist")
    with pytest.raises(NotFound, match="does not exist"):
        deployer.undeploy("mnist")


def test_seldon_needs_an_image(settings: Settings, package: Path) -> None:
    with pytest.raises(DeployError, match="needs an image"):
        SeldonDeployer(settings).render(_spec(package, image=None))


def test_image_by_digest_only_for_a_pushed_build_of_that_image() -> None:
    lineage = {"image": "r/m:1", "digest": DIGEST, "pushed": True}
    assert image_by_digest("r/m:1", lineage) == "r/m@" + DIGEST
    assert image_by_digest("r:5000/m", lineage | {"image": "r:5000/m"}) == "r:5000/m@" + DIGEST
    assert image_by_digest("r/m:2", lineage) == "r/m:2"
    assert image_by_digest("r/m:1", lineage | {"pushed": False}) == "r/m:1"
