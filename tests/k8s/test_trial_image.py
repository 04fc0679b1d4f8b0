"""The trial image: planned from the spec, built once, found again by its content hash, run by
digest, and a failed build fails the group before any Job exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.builders.base import Builder, BuildRequest, BuildResult, OnLine
from jupyter_mlpipe.builders.registry import ImageRef, manifest_digest
from jupyter_mlpipe.builders.trial import (
    TRIAL_PYTHON,
    plan_trial_image,
    render_trial_dockerfile,
    split_step,
    stage_context,
)
from jupyter_mlpipe.builders.trial_build import prepare_trial_image
from jupyter_mlpipe.errors import BuildError
from jupyter_mlpipe.executors.base import TrialLaunch
from jupyter_mlpipe.k8s.trial_entry import load_entry
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.spec import parse_spec
from jupyter_mlpipe.store import GroupRecord, Store

from .contract_kit import make_executor
from .double import KubeDouble
from .double.registry import RegistryStub

SPEC = """\
version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    lr:
      values: [0.1, 0.2, 0.3]
build:
  image: registry.local/python:3.11
  build_steps:
    - pip install --no-cache-dir -r requirements.txt
run:
  cmd: python train.py --lr={{ lr }}
"""
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "train.py").write_text("print('hi')\n")
    (folder / "requirements.txt").write_text("torch\n")
    (folder / "sweep.yml").write_text(SPEC)
    return folder


@pytest.fixture
def registry() -> Iterator[RegistryStub]:
    with RegistryStub() as stub:
        yield stub


class ScriptedBuilder(Builder):
    """A builder that checks the staged context, prints lines and "pushes" into the stub."""

    name = "scripted"

    def __init__(self, registry: RegistryStub, fail: bool = False) -> None:
        self.registry, self.fail = registry, fail
        self.requests: list[BuildRequest] = []
        self.dockerfiles: list[str] = []

    def render(self, request: BuildRequest) -> str:
        return (Path(request.folder) / "Dockerfile").read_text()

    def build(self, request: BuildRequest, on_line: OnLine | None = None) -> BuildResult:
        self.requests.append(request)
        self.dockerfiles.append(self.render(request))
        assert (Path(request.folder) / "project" / "requirements.txt").is_file()
        assert (Path(request.folder) / "mlpipe-python" / "polyaxon_helper.py").is_file()
        for i in range(30):
            if on_line is not None:
                on_line(f"step line {i}")
        if self.fail:
            raise BuildError("`buildah bud` exited with 1")
        ref = ImageRef.parse(request.image)
        self.registry.images[f"{ref.repository}:{ref.tag}"] = DIGEST
        return BuildResult(image=request.image, digest=DIGEST, builder="scripted", pushed=True)


def _settings(tmp_path: Path, registry: RegistryStub) -> Settings:
    return Settings.load(overrides={"outputs_root": str(tmp_path / "outputs"),
                                    "registry": f"{registry.host}/team"})


def _group(store: Store, project: Path) -> GroupRecord:
    return store.create_group(lambda gid: GroupRecord(
        id=gid, project=store.project, user=store.user, name="g", created=time.time(),
        spec_file="sweep.yml", project_dir=str(project), algorithm="grid",
        backend="kubernetes", concurrency=2, planned=3), SPEC)


# -- planning and rendering ---------------------------------------------------------------------
def test_dockerfile_runs_each_step_as_an_argument_list(project: Path) -> None:
    plan = plan_trial_image("py:3", ["pip install -r requirements.txt", "python -c 'print(1)'"],
                            project, "reg:5000/t")
    text = render_trial_dockerfile(plan)
    assert text.splitlines()[1] == "FROM py:3"
    runs = [json.loads(line[4:]) for line in text.splitlines() if line.startswith("RUN ")]
    assert runs[:2] == [["pip", "install", "-r", "requirements.txt"], ["python", "-c", "print(1)"]]
    assert runs[2][:2] == ["python3", "-c"] and len(runs) == 3  # the fixed de-duplication
    assert f'ENV PYTHONPATH="{TRIAL_PYTHON}' in text
    assert plan.image == f"reg:5000/t:{plan.tag}" and len(plan.tag) == 25


@pytest.mark.parametrize("step", ["pip install x && rm -rf /", "echo a | tee b", "cat x > y",
                                  "echo 'unclosed", ""])
def test_steps_that_need_a_shell_are_refused(step: str) -> None:
    with pytest.raises(BuildError) as err:
        split_step(step)
    assert "build step" in str(err.value)


def test_the_tag_is_a_content_hash(project: Path) -> None:
    def tag(base: str = "py:3", steps: tuple[str, ...] = ("pip install x",)) -> str:
        return plan_trial_image(base, steps, project, "r:1/t").tag

    first = tag()
    assert tag() == first  # unchanged spec and files: the same image
    assert tag(base="py:3.12") != first
    assert tag(steps=("pip install y",)) != first
    (project / "train.py").write_text("print('changed')\n")
    assert tag() != first
    (project / "__pycache__").mkdir()
    (project / "__pycache__" / "x.pyc").write_bytes(b"junk")
    changed = tag()
    (project / "__pycache__" / "x.pyc").write_bytes(b"other junk")
    assert tag() == changed  # caches never reach the image


def test_symlinks_never_bring_outside_files(project: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("outside")
    (project / "link").symlink_to(tmp_path / "secret")
    plan = plan_trial_image("py:3", (), project, "r:1/t")
    assert not any(f.target.endswith("link") for f in plan.files)


def test_tracking_payload_is_importable_by_a_bare_python(project: Path, tmp_path: Path) -> None:
    ctx = stage_context(plan_trial_image("py:3", (), project, "r:1/t"), tmp_path / "ctx")
    out = tmp_path / "out"
    script = ("import jupyter_mlpipe, polyaxon_helper\n"
              "polyaxon_helper.send_metrics(loss=0.5)\n"
              "print(jupyter_mlpipe.__file__, polyaxon_helper.get_outputs_path())\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ctx / "mlpipe-python"),
           "POLYAXON_RUN_OUTPUTS_PATH": str(out)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(ctx / "mlpipe-python"))
    line = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert line["values"] == {"loss": 0.5}


# -- the registry look-up ------------------------------------------------------------------------
def test_registry_lookup_finds_present_tags_only(registry: RegistryStub) -> None:
    registry.images["team/x:t1"] = DIGEST
    assert manifest_digest(f"{registry.host}/team/x:t1", tls_verify=False) == DIGEST
    assert manifest_digest(f"{registry.host}/team/x:t2", tls_verify=False) is None
    assert registry.lookups == ["/v2/team/x/manifests/t1", "/v2/team/x/manifests/t2"]


def test_registry_lookup_follows_the_anonymous_token_flow() -> None:
    with RegistryStub(token="tok") as stub:
        stub.images["team/x:t1"] = DIGEST
        assert manifest_digest(f"{stub.host}/team/x:t1", tls_verify=False) == DIGEST


def test_unreachable_registry_means_build() -> None:
    assert manifest_digest("127.0.0.1:9/team/x:t1", tls_verify=False, timeout=2) is None


# -- prepare: build once, reuse, fail early ------------------------------------------------------
def test_built_once_then_reused_and_run_by_digest(project: Path, tmp_path: Path,
                                                  registry: RegistryStub) -> None:
    settings = _settings(tmp_path, registry)
    store = Store(settings.outputs_root, "tester", "proj")
    spec = parse_spec(SPEC, file="sweep.yml")
    builder = ScriptedBuilder(registry)
    lines: list[str] = []
    first = prepare_trial_image(store, settings, _group(store, project), spec, builder=builder,
                                on_line=lines.append)
    assert first is not None and first["built"] is True
    assert first["image"] == f"{registry.host}/team/mlpipe-trial-proj@{DIGEST}"
    assert "step line 29" in lines and lines[0].startswith("building ")
    assert builder.requests[0].push and builder.requests[0].mode == "dockerfile"
    assert not (project / ".mlpipe-build").exists()  # the staged context is cleaned up
    group = _group(store, project)
    again = prepare_trial_image(store, settings, group, spec, builder=builder, on_line=None)
    assert again is not None and again["built"] is False and again["image"] == first["image"]
    assert len(builder.requests) == 1  # found in the registry: not rebuilt

    ids = store.create_experiments(group.id, [{"lr": v} for v in (0.1, 0.2, 0.3)])
    with KubeDouble(namespace="team") as kd:
        ex = make_executor(kd, store, image=None)
        try:
            ex.start(group, [TrialLaunch(experiment=e, attempt=1, argv=("python", "train.py"),
                                         env={}, cwd=str(project), params={}) for e in ids], 2)
            ex.poll(0.1)
            (job,), (cm,) = kd.objects("jobs"), kd.objects("configmaps")
        finally:
            ex.stop(None)
            ex.close()
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == first["image"]
    for key, text in cm["data"].items():
        (tmp_path / key).write_text(text)
    assert load_entry(tmp_path, "0")["build_steps"] == []  # no per-pod install


def test_failed_build_fails_the_group_before_any_job(project: Path, tmp_path: Path,
                                                     registry: RegistryStub) -> None:
    settings = _settings(tmp_path, registry)
    store = Store(settings.outputs_root, "tester", "proj")
    group = _group(store, project)
    with pytest.raises(BuildError) as err:
        prepare_trial_image(store, settings, group, parse_spec(SPEC, file="sweep.yml"),
                            builder=ScriptedBuilder(registry, fail=True), on_line=None)
    assert "step line 29" in str(err.value) and "step line 14" not in str(err.value)
    record = store.read_group(group.id)
    assert record.status == "failed" and "step line 29" in record.message
    assert not (store.group_dir(group.id) / "trial-image.json").exists()


def test_steps_without_a_registry_are_refused(project: Path, tmp_path: Path) -> None:
    settings = Settings.load(overrides={"outputs_root": str(tmp_path / "o"), "registry": ""})
    store = Store(settings.outputs_root, "tester", "proj")
    with pytest.raises(BuildError, match="set the registry"):
        prepare_trial_image(store, settings, _group(store, project),
                            parse_spec(SPEC, file="sweep.yml"), on_line=None)


# -- the dry run --------------------------------------------------------------------------------
def test_dry_run_shows_one_build_and_one_indexed_job_by_digest(
        project: Path, tmp_path: Path, registry: RegistryStub) -> None:
    api = Mlpipe(outputs_root=str(tmp_path / "outputs"), registry=f"{registry.host}/team",
                 project="proj")
    docs: list[dict[str, Any]] = api.sweep(project / "sweep.yml", backend="kubernetes",
                                           dry_run=True)
    kinds = [d["kind"] for d in docs]
    assert kinds == ["TrialImageBuild", "Job", "ConfigMap"]
    build, job, cm = docs
    assert build["spec"]["present"] is False and "RUN [\"pip\"" in build["spec"]["dockerfile"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == build["spec"]["image"]
    registry.images[build["spec"]["image"].split("/", 1)[1]] = DIGEST  # now it was pushed
    docs = api.sweep(project / "sweep.yml", backend="kubernetes", dry_run=True)
    image = docs[1]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert docs[0]["spec"]["present"] is True and image.endswith(f"@{DIGEST}")
    entries = {k: v for k, v in cm["data"].items() if k[0].isdigit()}
    assert len(entries) == 3 and all(json.loads(v)["build_steps"] == [] for v in entries.values())
    yaml.safe_dump_all(docs)  # printable with -o yaml


def test_dry_run_without_a_registry_says_to_set_one(project: Path, tmp_path: Path) -> None:
    api = Mlpipe(outputs_root=str(tmp_path / "outputs"), registry="", project="proj")
    build, job, _ = api.sweep(project / "sweep.yml", backend="kubernetes", dry_run=True)
    assert "set it before running" in build["spec"]["note"]
    image = job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith("registry.invalid/mlpipe-trial-proj:t")


def test_tracking_copy_gives_way_to_an_installed_jupyter_mlpipe(project: Path,
                                                                tmp_path: Path) -> None:
    from jupyter_mlpipe.builders.trial import DEDUPE

    ctx = stage_context(plan_trial_image("py:3", (), project, "r:1/t"), tmp_path / "ctx")
    copy = str(ctx / "mlpipe-python")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": copy}
    bare = [sys.executable, "-S", "-c", DEDUPE.format(path=copy)]  # -S: no site-packages
    subprocess.run(bare, env=env, check=True, timeout=60, cwd=tmp_path)
    assert (ctx / "mlpipe-python" / "jupyter_mlpipe").is_dir()  # nothing else has it: kept
    installed = [sys.executable, "-c", DEDUPE.format(path=copy)]  # this venv has it
    subprocess.run(installed, env=env, check=True, timeout=60, cwd=tmp_path)
    assert not (ctx / "mlpipe-python" / "jupyter_mlpipe").exists()
    assert (ctx / "mlpipe-python" / "polyaxon_helper.py").is_file()
