"""LocalDeployer: detached server processes recorded in the store, health, stale records."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jupyter_mlpipe import proc
from jupyter_mlpipe.deployers import DeploySpec, make_deployer
from jupyter_mlpipe.deployers.local import LocalDeployer, free_port
from jupyter_mlpipe.errors import Conflict, DeployError, InvalidName, NotFound
from jupyter_mlpipe.serving import client
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store import DeploymentStore
from tests.integration.serving_harness import MODELS

pytestmark = pytest.mark.integration


@pytest.fixture
def deployer() -> Iterator[LocalDeployer]:
    d = make_deployer("local", Settings.load())
    assert isinstance(d, LocalDeployer)
    yield d
    for record in d.store.list():  # never leave a server behind
        d.undeploy(record["name"])


def test_deploy_status_predict_undeploy(deployer: LocalDeployer) -> None:
    record = deployer.deploy(DeploySpec(name="echo", folder=str(MODELS / "echo"),
                                        lineage={"experiment": 3}))
    assert record["backend"] == "local" and record["url"].startswith("http://127.0.0.1:")
    assert proc.pid_alive(record["pid"], record["create_time"])
    stored = DeploymentStore(deployer.settings.outputs_root, deployer.settings.user).get("echo")
    assert stored["pid"] == record["pid"] and stored["lineage"] == {"experiment": 3}
    live = deployer.status("echo")
    assert live["health"] == "healthy"
    assert [r["name"] for r in deployer.list()] == ["echo"]
    url = deployer.endpoint("echo")
    assert url.endswith("/api/v1.0/predictions")
    reply = client.predict(url, [[1.0, 2.0]])
    assert reply["data"]["tensor"]["values"] == [1.0, 2.0]
    # No image, so no unit id: Seldon adds requestPath only for a named unit, and a folder path
    # never leaves the machine in a reply.
    assert "requestPath" not in reply["meta"]
    assert str(MODELS) not in json.dumps(reply)
    ingress = record["url"] + "/seldon/default/echo/api/v1.0/predictions"
    assert client.predict(ingress, [3.0])["data"]["tensor"]["values"] == [3.0]
    with pytest.raises(Conflict, match="already runs"):
        deployer.deploy(DeploySpec(name="echo", folder=str(MODELS / "echo")))
    deployer.undeploy("echo")
    assert not proc.pid_alive(record["pid"], record["create_time"])
    with pytest.raises(NotFound):
        deployer.status("echo")
    assert "stopped" in Path(record["log"]).read_text()


def test_explicit_port_and_image(deployer: LocalDeployer) -> None:
    port = free_port()
    record = deployer.deploy(DeploySpec(name="linear", folder=str(MODELS / "linear"), port=port,
                                        image="registry.local/linear:1"))
    assert record["url"] == f"http://127.0.0.1:{port}"
    reply = client.predict(deployer.endpoint("linear"), [[0.0] * 784])
    assert reply["data"]["names"] == [f"t:{i}" for i in range(10)]
    assert reply["meta"]["requestPath"] == {"linear": "registry.local/linear:1"}


def test_stale_record_is_reported_and_cleaned(deployer: LocalDeployer) -> None:
    record = deployer.deploy(DeploySpec(name="gone", folder=str(MODELS / "echo")))
    os.killpg(record["pid"], signal.SIGKILL)
    for _ in range(100):
        if not proc.pid_alive(record["pid"], record["create_time"]):
            break
        time.sleep(0.05)
    status = deployer.status("gone")
    assert status["health"] == "stale" and "undeploy" in status["detail"]
    deployer.undeploy("gone")
    with pytest.raises(NotFound):
        deployer.status("gone")
    # a stale record does not block a new deployment of the same name
    deployer.deploy(DeploySpec(name="gone", folder=str(MODELS / "echo")))
    assert deployer.status("gone")["health"] == "healthy"


def test_a_server_that_cannot_start_reports_its_log(deployer: LocalDeployer,
                                                    tmp_path: Path) -> None:
    (tmp_path / ".s2i").mkdir()
    (tmp_path / ".s2i" / "environment").write_text("MODEL_NAME=Broken\n")
    (tmp_path / "Broken.py").write_text(
        "class Broken:\n    def load(self):\n        raise RuntimeError('checkpoint missing')\n")
    with pytest.raises(DeployError) as caught:
        deployer.deploy(DeploySpec(name="broken", folder=str(tmp_path)))
    assert "exited with status 1" in str(caught.value)
    assert "checkpoint missing" in str(caught.value)
    assert deployer.store.list() == []


def test_a_busy_port_is_reported(deployer: LocalDeployer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(DeployError) as caught:
            deployer.deploy(DeploySpec(name="busy", folder=str(MODELS / "echo"), port=port))
    assert "exited with status 1" in str(caught.value)
    assert "address already in use" in str(caught.value).lower()
    assert deployer.store.list() == []


def test_render_and_validation(deployer: LocalDeployer, tmp_path: Path) -> None:
    [rendered] = deployer.render(DeploySpec(name="echo", folder=str(MODELS / "echo")))
    assert rendered["kind"] == "LocalProcess"
    assert rendered["argv"][1:4] == ["-m", "jupyter_mlpipe.serving", "--folder"]
    assert "--port" in rendered["argv"] and rendered["url"].endswith(":auto")
    assert deployer.store.list() == []
    with pytest.raises(InvalidName):
        deployer.deploy(DeploySpec(name="../escape", folder=str(MODELS / "echo")))
    with pytest.raises(DeployError, match="package the model first"):
        deployer.deploy(DeploySpec(name="nofolder"))
    with pytest.raises(DeployError, match="neither"):
        deployer.deploy(DeploySpec(name="empty", folder=str(tmp_path)))
    with pytest.raises(NotFound):
        deployer.undeploy("never-deployed")


@pytest.mark.parametrize("fmt", ["seldon", "mlserver"])
def test_a_written_package_deploys_and_answers_both_protocols(
        deployer: LocalDeployer, tmp_path: Path, fmt: str) -> None:
    from jupyter_mlpipe.packaging import write_package

    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "model.dat").write_bytes(b"weights")
    info = write_package(tmp_path / "deployments", "linear-pkg", source=MODELS / "linear",
                         checkpoints=[tmp_path / "outputs" / "model.dat"],
                         model_class="LinearModel", format=fmt, lineage={"experiment": 1})
    record = deployer.deploy(DeploySpec(name="linear-pkg", folder=str(info.path)))
    reply = client.predict(deployer.endpoint("linear-pkg"), [[0.0] * 784])
    assert reply["data"]["tensor"]["shape"] == [1, 10]
    v2 = client.post_json(record["url"] + "/v2/models/linear-pkg/infer", {
        "inputs": [{"name": "x", "shape": [1, 784], "datatype": "FP32", "data": [0.0] * 784}]})
    [output] = v2["outputs"]
    assert output["shape"] == [1, 10] and abs(sum(output["data"]) - 1.0) < 1e-9
    np.testing.assert_allclose(output["data"], reply["data"]["tensor"]["values"])


def _forge(deployer: LocalDeployer, name: str, **fields: object) -> None:
    record = {"name": name, "backend": "local", "url": "http://127.0.0.1:1", "host": "127.0.0.1",
              "port": 1, "folder": str(MODELS / "echo"), "created": time.time(), **fields}
    deployer.store.save(record)


def test_undeploy_never_signals_an_unverified_process(deployer: LocalDeployer,
                                                      tmp_path: Path) -> None:
    # A process group leader that is not a model server, as a forged record would name it.
    victim = proc.spawn([sys.executable, "-c", "import time; time.sleep(600)"],
                        stdout_path=tmp_path / "victim.log")
    try:
        created = proc.process_create_time(victim.pid)
        _forge(deployer, "no-time", pid=victim.pid)  # no create_time at all
        assert deployer.status("no-time")["health"] == "stale"
        with pytest.raises(DeployError, match="not signalled: the record has no process start"):
            deployer.undeploy("no-time")
        _forge(deployer, "other-cmd", pid=victim.pid, create_time=created)  # right time
        with pytest.raises(DeployError, match="not this model server"):
            deployer.undeploy("other-cmd")
        _forge(deployer, "old-time", pid=victim.pid, create_time=(created or 0) - 3600)
        with pytest.raises(DeployError, match="started at another time"):
            deployer.undeploy("old-time")
        assert victim.poll() is None  # never signalled
        assert deployer.store.list() == []  # the forged records are gone
    finally:
        proc.terminate_group(victim.pid, 5.0)
        victim.wait(timeout=5)
