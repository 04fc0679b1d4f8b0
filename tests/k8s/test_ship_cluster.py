"""Mlpipe.ship against the Kubernetes API double: Argo builds, the digest reaches Seldon."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import PackageError
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.files import append_jsonl
from jupyter_mlpipe.store.records import ExperimentStatus, GroupRecord

from .double import KubeDouble
from .schemas import SCHEMAS, validate_seldon

DIGEST = "sha256:" + "d" * 64


@pytest.fixture
def api(kd: KubeDouble, tmp_path: Path) -> Mlpipe:
    repos = tmp_path / "repos"
    (repos / "model").mkdir(parents=True)
    (repos / "model" / "TinyModel.py").write_text("class TinyModel:\n    pass\n")
    return Mlpipe(
        kubeconfig=kd.kubeconfig(tmp_path / "kubeconfig"),
        namespace="team",
        repos_root=str(repos),
        deployments_root=str(repos / "deployments"),
        outputs_root=str(tmp_path / "outputs"),
        build_backend="argo",
        deploy_backend="seldon",
        project="mnist",
    )


def _finished_group(api: Mlpipe) -> list[int]:
    """A group of two succeeded experiments, written as a sweep writes it (no processes)."""
    s = api.settings
    store = Store(s.outputs_root, s.user, "mnist")
    now = time.time()
    gid = store.create_group(
        lambda g: GroupRecord(
            id=g,
            project="mnist",
            user=s.user,
            name="cluster",
            created=now,
            spec_file="",
            project_dir=str(Path(s.repos_root) / "model"),
            algorithm="grid",
            backend="kubernetes",
            concurrency=2,
            planned=2,
            status="succeeded",
        ),  # fmt: skip
        "version: 1\nkind: group\n",
    ).id
    ids = store.create_experiments(gid, [{"lr": 0.1}, {"lr": 0.2}])
    for k, eid in enumerate(ids):
        folder = store.experiment_dir(eid)
        append_jsonl(folder / "metrics.jsonl", {"step": 1, "time": now, "values": {"loss": k + 1}})
        (folder / "model.dat").write_bytes(b"weights")
        store.write_status(
            eid, ExperimentStatus(status="succeeded", created=now, started=now, finished=now)
        )
    return ids


def test_ship_to_the_cluster_builds_and_deploys_by_digest(kd: KubeDouble, api: Mlpipe) -> None:
    ids = _finished_group(api)
    lines: list[Any] = []
    record = api.ship(1, metric="loss", mode="min", image="registry.local/mnist:1",
                      on_progress=lines.append)  # fmt: skip
    assert record.status == "succeeded", record.error
    name = f"mnist-g1-e{ids[0]}"
    assert [s.status for s in record.steps] == ["succeeded"] * 4
    assert record.result["build"]["image"] == f"registry.local/mnist@{DIGEST}"
    assert record.result["build"]["pushed"] is True
    assert any(e.step == "build" and e.message == "pushed" for e in lines)  # the build's log
    (workflow,) = kd.objects("workflows")
    assert workflow["metadata"]["name"].startswith(f"mlpipe-build-{name}-")
    (sdep,) = kd.objects("seldondeployments")
    assert sdep["metadata"]["name"] == name
    containers = sdep["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    assert containers[0]["image"] == f"registry.local/mnist@{DIGEST}"
    if SCHEMAS.is_dir():
        validate_seldon({k: v for k, v in sdep.items() if k != "status"})
    # The package now serves a live SeldonDeployment: replacing it is refused, even forced.
    with pytest.raises(PackageError, match=f"undeploy {name}` first"):
        api.package(ids[1], name, force=True)


def test_a_cluster_deploy_without_an_image_says_how_to_get_one(api: Mlpipe) -> None:
    ids = _finished_group(api)
    with pytest.raises(Exception, match="--image") as raised:
        api.ship(experiment=ids[0])
    record = api.operations()[0]
    assert record.status == "failed" and record.step("build").status == "failed"
    assert record.error is not None and record.error["type"] == type(raised.value).__name__
