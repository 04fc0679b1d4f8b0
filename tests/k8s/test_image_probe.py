"""A function sweep's trial image is probed before any trial Job exists.

The probe is a one-pod Job running the image's ``python``; the API double runs it as a local
process (``run`` mode). Other images are stood in for by other interpreters: ``python -S`` with a
folder of fake packages is an image with an old cloudpickle, ``python -I -S`` one with nothing
installed, a missing file one without Python, and a waiting reason one that cannot be pulled.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from jupyter_mlpipe import __version__
from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import ExecutorError, InvalidArgument
from jupyter_mlpipe.executors.kubernetes_probe import ImageReport, check_function_image
from jupyter_mlpipe.k8s.manifests import ClusterPaths
from jupyter_mlpipe.k8s.manifests.probe import REPORT, ImageProbe, render_probe_job
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.tracking.function_trial import python_version

from .contract_kit import notebook_env
from .double import KubeDouble
from .schemas import validate_core

ROOT = Path(__file__).resolve().parents[2]
OURS = {"python": python_version(), "cloudpickle": cloudpickle.__version__}
GOOD = "registry.local/trainer:1"


def train(lr: float) -> dict[str, float]:
    return {"accuracy": 1 - lr}


def _probe(image: str, namespace: str = "lab", **kwargs: Any) -> ImageProbe:
    return ImageProbe(image=image, paths=ClusterPaths(namespace=namespace), user="tester",
                      project="fk8s", suffix="abc123", **kwargs)


def _old_image(tmp_path: Path) -> list[str]:
    """An interpreter whose cloudpickle is 2.2.1 (jupyter-mlpipe importable)."""
    fake = tmp_path / "old-site" / "cloudpickle"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "2.2.1"\n')
    return ["env", f"PYTHONPATH={tmp_path / 'old-site'}:{ROOT}", sys.executable, "-S"]


@pytest.fixture
def kd() -> Iterator[KubeDouble]:
    with KubeDouble(namespace="lab", mode="run") as double:
        yield double


def _probe_jobs(kd: KubeDouble) -> list[dict[str, Any]]:
    return [j for j in kd.objects("jobs")
            if j["metadata"]["labels"].get("mlpipe.io/component") == "image-probe"]


def test_the_probe_job_validates_and_runs_a_fixed_command() -> None:
    probe = _probe("reg/t:1; rm -rf /", environment={
        "node_selector": {"gpu": "a100"}, "resources": {"gpu": {"requests": 1}}})
    job = render_probe_job(probe)
    validate_core(job)
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"][:2] == ["python", "-c"] and "rm -rf" not in container["command"][2]
    assert pod["nodeSelector"] == {"gpu": "a100"}  # scheduled where the trials run ...
    assert "nvidia.com/gpu" not in json.dumps(container["resources"])  # ... without their GPU
    assert job["spec"]["backoffLimit"] == 0 and pod["automountServiceAccountToken"] is False


def test_the_report_names_each_problem_with_its_fix() -> None:
    line = REPORT + " " + json.dumps({"python": "3.10", "cloudpickle": None, "mlpipe": None,
                                      "cloudpickle_error": "ModuleNotFoundError: cloudpickle"})
    report = ImageReport.from_lines(["pulling", line])
    assert report is not None and report.python == "3.10"
    problems = report.problems("reg/t:1", "3.11", "3.1.1")
    assert problems[0].startswith("the function was pickled with Python 3.11 and cloudpickle"
                                  " 3.1.1, but image reg/t:1 runs Python 3.10 and no cloudpickle")
    assert "`pip install cloudpickle==3.1.1`" in problems[0]
    assert "has no jupyter-mlpipe" in problems[1] and "pip install jupyter-mlpipe" in problems[1]
    assert ImageReport.from_lines(["no report", REPORT + " {not json"]) is None


def test_an_image_like_the_notebook_passes_and_the_probe_is_removed(kd: KubeDouble) -> None:
    client = kd.client()
    lines: list[str] = []
    try:
        report = check_function_image(client, _probe(GOOD), on_line=lines.append, **OURS)
    finally:
        client.close()
    assert (report.python, report.cloudpickle, report.mlpipe) == (
        OURS["python"], OURS["cloudpickle"], __version__)
    assert lines[0].startswith(f"checking that {GOOD} runs Python {OURS['python']}")
    assert lines[-1].endswith("it can run this notebook's function")
    assert kd.calls("POST", "jobs") == 1 and _probe_jobs(kd) == []


@pytest.mark.parametrize("image, expected", [
    ("old", "but image registry.local/old:1 runs Python {python} and cloudpickle 2.2.1"),
    ("bare", "but image registry.local/bare:1 runs Python {python} and no cloudpickle"),
])
def test_an_image_with_other_versions_is_refused_with_the_fix(
        kd: KubeDouble, tmp_path: Path, image: str, expected: str) -> None:
    kd.images["registry.local/old:1"] = _old_image(tmp_path)
    kd.images["registry.local/bare:1"] = [sys.executable, "-I", "-S"]
    client = kd.client()
    try:
        with pytest.raises(InvalidArgument) as info:
            check_function_image(client, _probe(f"registry.local/{image}:1"), **OURS)
    finally:
        client.close()
    message = str(info.value)
    assert expected.format(**OURS) in message
    assert f"use an image with Python {OURS['python']}" in message
    assert f"`pip install cloudpickle=={OURS['cloudpickle']}`" in message
    assert ("has no jupyter-mlpipe" in message) == (image == "bare")
    assert _probe_jobs(kd) == []


def test_an_image_without_python_or_that_cannot_be_pulled_is_reported(
        kd: KubeDouble, tmp_path: Path) -> None:
    kd.images["registry.local/nopython:1"] = [str(tmp_path / "no-such-python")]
    kd.images["registry.local/typo:1"] = "ErrImagePull"
    client = kd.client()
    lines: list[str] = []
    try:
        with pytest.raises(ExecutorError, match=r"cannot run `python` .* Python on its PATH"):
            check_function_image(client, _probe("registry.local/nopython:1"), **OURS)
        with pytest.raises(ExecutorError, match=r"cannot start: ErrImagePull .*imagePullSecret"):
            check_function_image(client, _probe("registry.local/typo:1"), on_line=lines.append,
                                 **OURS)
    finally:
        client.close()
    assert any(line.endswith(": Pending (ErrImagePull)") for line in lines)
    assert _probe_jobs(kd) == []


def test_a_probe_that_takes_too_long_names_the_setting(kd: KubeDouble) -> None:
    kd.images["registry.local/slow:1"] = [sys.executable, "-c", "import time; time.sleep(60)"]
    client = kd.client()
    try:
        with pytest.raises(ExecutorError, match=r"did not finish within 1 s \(last seen:"
                           r" Running\) .* mlpipe config image_check_timeout=SECONDS"):
            check_function_image(client, _probe("registry.local/slow:1", timeout=1), **OURS)
    finally:
        client.close()
    assert _probe_jobs(kd) == [] and kd.local == {}  # the Job and its pod are gone


# -- through the API, as a notebook submits -------------------------------------------------------

@pytest.fixture
def env(kd: KubeDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The notebook's settings: the double as the cluster, the test folders as volumes."""
    values = {**notebook_env(kd, tmp_path, "fk8s"),
              "MLPIPE_CONFIG": str(tmp_path / "config.yaml")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    # the double's pods inherit this process's environment: the "image's" python comes first
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ["PATH"]]))
    monkeypatch.chdir(tmp_path)
    return values


def test_a_function_sweep_with_a_good_image_runs_in_pods(
        kd: KubeDouble, env: dict[str, str], tmp_path: Path) -> None:
    api = Mlpipe()
    sweep = api.sweep(train, matrix={"lr": {"values": [0.1, 0.2]}}, backend="kubernetes",
                      image=GOOD, objective="accuracy:max")
    store = Store(tmp_path / "outputs", "tester", "fk8s")
    deadline = time.monotonic() + 180  # a safety net against hangs, not a speed check
    while store.read_group(sweep.group).status not in ("succeeded", "failed", "stopped"):
        assert time.monotonic() < deadline, "the group never ended"
        time.sleep(0.1)
    assert store.read_group(sweep.group).status == "succeeded"
    assert [r.status for r in store.experiments(sweep.group)] == ["succeeded"] * 2
    events = [e["event"] for e in store.events(sweep.group)]
    assert events[0] == "submitted"
    assert _probe_jobs(kd) == []  # probed, then removed; the trial Job came after
    assert kd.calls("POST", "jobs") == 3  # probe, supervisor, trials


def test_a_function_sweep_with_an_old_image_is_refused_before_any_group(
        kd: KubeDouble, env: dict[str, str], tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    kd.images["registry.local/old:1"] = _old_image(tmp_path)
    api = Mlpipe()
    with pytest.raises(InvalidArgument, match="runs Python .* and cloudpickle 2.2.1"):
        api.sweep(train, matrix={"lr": {"values": [0.1, 0.2]}}, backend="kubernetes",
                  image="registry.local/old:1")
    assert Store(tmp_path / "outputs", "tester", "fk8s").groups() == []
    assert kd.calls("POST", "jobs") == 1 and kd.objects("jobs") == []  # the probe, removed
    assert "trial image: checking that registry.local/old:1 runs Python" in capfd.readouterr().err


def test_a_built_image_that_cannot_run_the_function_fails_its_group(
        kd: KubeDouble, env: dict[str, str], tmp_path: Path) -> None:
    """When the image is built for the sweep, the group exists already: it is marked failed."""
    from jupyter_mlpipe.spec import parse_spec
    from jupyter_mlpipe.store import GroupRecord

    kd.images["registry.local/old:1"] = _old_image(tmp_path)
    api = Mlpipe()
    store = Store(tmp_path / "outputs", "tester", "fk8s")
    record = store.create_group(lambda gid: GroupRecord(
        id=gid, project="fk8s", user="tester", name="train", created=time.time(),
        spec_file="<function train>", project_dir=str(tmp_path), algorithm="grid",
        backend="kubernetes", concurrency=1, planned=1), "version: 1\nkind: group\n")
    spec = parse_spec("version: 1\nkind: experiment\nbuild: {image: registry.local/old:1}\n"
                      "run: {cmd: python -m x}\n", file="<function train>")
    with pytest.raises(InvalidArgument):
        api._check_function_image(store, spec, "registry.local/old:1", record)
    failed = store.read_group(record.id)
    assert failed.status == "failed"
    assert failed.message.startswith("the trial image cannot run the function: the function was"
                                     " pickled with Python")
