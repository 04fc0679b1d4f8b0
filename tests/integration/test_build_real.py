"""A real image build: package → buildah build + push to a loopback registry → podman pull + run
→ a prediction over HTTP from Seldon's microservice inside the container.

The machine has no Docker engine and can pull no base image, so :mod:`buildenv` makes a Debian
base and a stand-in Seldon builder image (cached between runs) and a loopback registry.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import buildenv

from jupyter_mlpipe import proc
from jupyter_mlpipe.builders.base import BuildRequest
from jupyter_mlpipe.builders.local import LocalBuilder
from jupyter_mlpipe.packaging import read_lineage, write_package

pytestmark = pytest.mark.integration

MODEL = '''import os

import numpy as np


class LinModel:
    """Softmax regression whose weights come from the packaged checkpoint."""

    def load(self):
        here = os.path.dirname(os.path.abspath(__file__))
        data = np.load(os.path.join(here, "weights.npz"))
        self.w, self.b = data["w"], data["b"]

    def predict(self, X, names, meta=None):
        x = np.asarray(X, dtype=np.float64).reshape(-1, self.w.shape[0])
        z = x @ self.w + self.b
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def class_names(self):
        return ["c%d" % i for i in range(self.w.shape[1])]
'''


@pytest.fixture(scope="session")
def build_env():
    missing = buildenv.missing_tools()
    if missing:
        message = f"real build needs {missing} — {buildenv.APT_HINT}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    log: list[str] = []
    started = time.monotonic()
    env = buildenv.prepare(log)
    env.timings["prepare"] = time.monotonic() - started
    return env


@pytest.fixture()
def registry(tmp_path):
    reg = buildenv.Registry(tmp_path / "registry")
    reg.start()
    yield reg
    reg.stop()


def _package(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "LinModel.py").write_text(MODEL)
    rng = np.random.default_rng(7)
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    np.savez(tmp_path / "weights.npz", w=w, b=b)
    info = write_package(tmp_path / "deployments", "lin-model", source=src,
                         checkpoints=[tmp_path / "weights.npz"], model_class="LinModel",
                         requirements=["numpy"], lineage={"project": "test", "experiment": 1})
    return Path(info.path), w, b


def _wait_ready(url: str, container: proc.subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if container.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.5)
    raise AssertionError(f"model container never became ready:\n{log.read_text()[-3000:]}")


def _predict(port: int, rows: list[list[float]]) -> dict:
    body = json.dumps({"data": {"ndarray": rows}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1.0/predictions", data=body,
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _run_container(image: str, env: dict[str, str], name: str, port: int, log: Path):
    metrics = buildenv.free_port()
    return proc.spawn(
        ["podman", "run", "--rm", "--name", name, "--network", "host", *buildenv.ULIMITS,
         "-e", f"PREDICTIVE_UNIT_HTTP_SERVICE_PORT={port}",
         "-e", f"PREDICTIVE_UNIT_METRICS_SERVICE_PORT={metrics}", image],
        env=env, stdout_path=log)


def _mlpipe_build(folder: Path, image: str, env: dict[str, str], log: list[str]) -> str:
    """``mlpipe build NAME --image REF --push --builder buildah``, as a user runs it."""
    argv = [sys.executable, "-m", "jupyter_mlpipe.cli", "build", folder.name, "--image", image,
            "--push", "--builder", "buildah"]
    return buildenv.run(argv, env, log, timeout=900)


def test_build_push_pull_run_predict(tmp_path, build_env, registry):
    timings = dict(build_env.timings)
    log: list[str] = []
    folder, w, b = _package(tmp_path)
    image = f"{registry.address}/lin-model:test"
    env = {
        **build_env.env,
        "CONTAINERS_REGISTRIES_CONF": str(registry.registries_conf),
        "BUILDAH_ISOLATION": "chroot",  # no OCI runtime needed for RUN steps
        "MLPIPE_DEPLOYMENTS_ROOT": str(folder.parent),
        "MLPIPE_BUILDER_IMAGE": build_env.builder_image,
        "MLPIPE_CONFIG": str(tmp_path / "no-config.yaml"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    started = time.monotonic()
    output = _mlpipe_build(folder, image, env, log)
    timings["model_build_push"] = time.monotonic() - started
    assert "---> Installing application source..." in output  # the builder's assemble ran
    lineage = read_lineage(folder)
    assert lineage["image"] == image and lineage["builder"] == "buildah" and lineage["pushed"]
    assert lineage["digest"].startswith("sha256:")
    assert "RUN /s2i/bin/assemble" in (folder / "Dockerfile").read_text()

    name, port, run_log = f"mlpipe-test-{os.getpid()}", buildenv.free_port(), tmp_path / "run.log"
    container = None
    try:
        started = time.monotonic()
        buildenv.run(["podman", "rmi", "--force", image], env, log)  # pull for real, not cached
        buildenv.run(["podman", "pull", image], env, log)
        pulled = buildenv.run(["podman", "image", "inspect", "--format", "{{.Digest}}", image],
                              env, log).strip()
        assert pulled == lineage["digest"]
        container = _run_container(image, env, name, port, run_log)
        _wait_ready(f"http://127.0.0.1:{port}/health/ping", container, run_log, 180)
        timings["pull_run_ready"] = time.monotonic() - started
        rows = [[0.0, 1.0, 2.0, 3.0], [1.5, -0.5, 0.25, 2.0]]
        answer = _predict(port, rows)
        z = np.asarray(rows) @ w + b
        expected = np.exp(z - z.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(np.asarray(answer["data"]["ndarray"]), expected, rtol=1e-9)
        assert answer["data"]["names"] == ["c0", "c1", "c2"]
    finally:
        proc.run(["podman", "stop", "--time", "5", name], env=env, timeout=60)
        if container is not None:
            proc.terminate_group(container.pid, 10.0)
            container.wait(timeout=30)
        proc.run(["podman", "rmi", "--force", image], env=env, timeout=120)
    timings_path = build_env.cache / "last-build-chain.json"
    timings_path.write_text(json.dumps(timings, indent=2) + "\n")
    print(f"build chain timings (s): {json.dumps(timings)}")


def test_docker_cli_builds_and_pushes_through_podmans_docker_api(tmp_path, build_env, registry):
    """The ``docker`` path (build, push, digest) against podman's Docker-compatible socket."""
    if shutil.which("docker") is None:  # `make test` installs it (.ci/system-deps)
        message = ("no docker client on PATH — install Debian's docker.io (the client; no"
                   " daemon is started or needed): apt-get install -y docker.io")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder, _, _ = _package(tmp_path)
    env = {**build_env.env, "CONTAINERS_REGISTRIES_CONF": str(registry.registries_conf)}
    sock = tmp_path / "podman.sock"
    service = proc.spawn(["podman", "system", "service", "--time", "0", f"unix://{sock}"],
                         env=env, stdout_path=tmp_path / "service.log")
    image = f"{registry.address}/lin-model:docker"
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert service.poll() is None and time.monotonic() < deadline, (
                (tmp_path / "service.log").read_text())
            time.sleep(0.1)
        builder = LocalBuilder("docker", env={"DOCKER_HOST": f"unix://{sock}"})
        result = builder.build(BuildRequest(name="lin-model", folder=str(folder), image=image,
                                            push=True, builder_image=build_env.builder_image))
        remote = buildenv.run(["skopeo", "inspect", "--tls-verify=false", "--format",
                               "{{.Digest}}", f"docker://{image}"], env, []).strip()
        assert result.digest == remote == read_lineage(folder)["digest"]
        assert result.builder == "docker"
    finally:
        proc.run(["podman", "rmi", "--force", image], env=env, timeout=120)
        proc.terminate_group(service.pid, 10.0)
        service.wait(timeout=30)


TRIAL_SCRIPT = '''import os, sys
from polyaxon_helper import get_declarations, get_outputs_path, send_metrics

lr = float(get_declarations()["lr"])
here = os.path.dirname(os.path.abspath(__file__))
built = open("/opt/mlpipe/project/built.txt").read()  # made by the build step, in the image
for epoch in range(1, 4):
    send_metrics(loss=lr / epoch, accuracy=0.3 * epoch)
with open(os.path.join(get_outputs_path(), "model.dat"), "w") as fh:
    fh.write("weights after 3 epochs")
print("trained in", sys.executable, "with", built)
'''
TRIAL_SPEC = """\
version: 1
kind: group
hptuning:
  matrix:
    lr: {values: [0.3]}
build:
  image: BASE
  build_steps:
    - python3 -c 'open("built.txt", "w").write("step ran")'
run:
  cmd: python3 train.py --lr={{ lr }}
"""


def test_trial_image_built_once_runs_a_polyaxon_script_into_the_store(
        tmp_path, build_env, registry):
    """buildah builds the trial image and pushes it to the loopback registry; podman runs the
    fixed trial entry in it by digest, with the outputs volume bind-mounted as in a pod."""
    from jupyter_mlpipe.builders.trial_build import prepare_trial_image
    from jupyter_mlpipe.engine.launch import make_launch
    from jupyter_mlpipe.executors.kubernetes import render_sweep
    from jupyter_mlpipe.k8s.manifests.jobs import JOB_DIR
    from jupyter_mlpipe.settings import Settings
    from jupyter_mlpipe.spec import parse_spec
    from jupyter_mlpipe.store import GroupRecord, Store

    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text(TRIAL_SCRIPT)
    text = TRIAL_SPEC.replace("BASE", build_env.base_image)
    env = {**build_env.env, "CONTAINERS_REGISTRIES_CONF": str(registry.registries_conf)}
    settings = Settings.load(overrides={
        "outputs_root": str(tmp_path / "outputs"), "registry": f"{registry.address}/team",
        "repos_root": str(tmp_path), "data_root": str(tmp_path)})
    store = Store(settings.outputs_root, "tester", "trial")
    spec = parse_spec(text, file="sweep.yml")

    def group() -> GroupRecord:
        return store.create_group(lambda gid: GroupRecord(
            id=gid, project="trial", user="tester", name="t", created=time.time(),
            spec_file="sweep.yml", project_dir=str(project), algorithm="grid",
            backend="kubernetes", concurrency=1, planned=1), text)

    builder = LocalBuilder("buildah", env=env, isolation="chroot")
    lines: list[str] = []
    first = group()
    record = prepare_trial_image(store, settings, first, spec, builder=builder,
                                 on_line=lines.append)
    assert record is not None and record["built"] is True
    assert record["image"].startswith(f"{registry.address}/team/mlpipe-trial-trial@sha256:")
    assert any("RUN" in line or "STEP" in line for line in lines)  # build progress shown
    again = prepare_trial_image(store, settings, group(), spec, builder=builder, on_line=None)
    assert again is not None and again["built"] is False and again["image"] == record["image"]

    (eid,) = store.create_experiments(first.id, [{"lr": 0.3}])
    launch = make_launch(store, first, spec, eid, {"lr": 0.3}, 1, settings)
    job, configmap = render_sweep(store, settings, first, [launch], 1, spec=spec)
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == record["image"]  # the Job runs the image by digest
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    for key, value in configmap["data"].items():
        (job_dir / key).write_text(value)
    outputs = Path(settings.outputs_root)
    run_log: list[str] = []
    try:
        buildenv.run(["podman", "rmi", "--force", record["tag"]], env, run_log)
        buildenv.run([
            "podman", "run", "--rm", "--network", "host", *buildenv.ULIMITS,
            "-v", f"{job_dir}:{JOB_DIR}:ro", "-v", f"{outputs}:{outputs}",
            "-v", f"{project}:{project}", "-w", str(project),
            "-e", f"MLPIPE_JOB_DIR={JOB_DIR}", "-e", "JOB_COMPLETION_INDEX=0",
            record["image"], *container["command"]], env, run_log, timeout=300)
    finally:
        proc.run(["podman", "rmi", "--force", record["image"]], env=env, timeout=120)
    folder = store.experiment_dir(eid)
    points = [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [p["values"]["loss"] for p in points] == pytest.approx([0.3, 0.15, 0.1])
    assert (folder / "model.dat").read_text() == "weights after 3 epochs"
    log = (folder / "output.log").read_text()
    assert "trained in /usr/bin/python3 with step ran" in log
    assert "build step" not in log  # nothing installed per pod
