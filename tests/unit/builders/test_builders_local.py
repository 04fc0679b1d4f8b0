"""LocalBuilder: tool detection, argv lists, digests, lineage — with a fake process runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlpipe.builders.base import BuildRequest, BuildResult
from jupyter_mlpipe.builders.local import LocalBuilder
from jupyter_mlpipe.errors import BuilderNotFound, BuildError, MlpipeError
from jupyter_mlpipe.packaging import read_lineage, write_package
from jupyter_mlpipe.proc import CompletedRun

DIGEST = "sha256:" + "ab" * 32
IMAGE_ID = "cd" * 32


class FakeRun:
    """Records argv lists; writes the --iidfile/--digestfile the real tools would write."""

    def __init__(self, returncodes=(), outputs=None):
        self.calls: list[list[str]] = []
        self.returncodes = list(returncodes)
        self.outputs = outputs or {}

    def __call__(self, argv, *, cwd=None, env=None, timeout=None, on_line=None):
        self.calls.append(list(argv))
        self.env = env
        for flag, value in (("--iidfile", IMAGE_ID), ("--digestfile", DIGEST)):
            if flag in argv:
                Path(argv[argv.index(flag) + 1]).write_text(value)
        output = self.outputs.get(argv[1], f"{argv[0]} {argv[1]} ok\n")
        if on_line:
            for line in output.splitlines():
                on_line(line)
        code = self.returncodes.pop(0) if self.returncodes else 0
        return CompletedRun(code, output)


def _which(*present):
    return lambda tool: f"/usr/bin/{tool}" if tool in present else None


@pytest.fixture()
def package(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "M.py").write_text("class M:\n    def predict(self, X, names):\n        return X\n")
    (tmp_path / "w.bin").write_bytes(b"w")
    info = write_package(tmp_path / "d", "m", source=src, checkpoints=[tmp_path / "w.bin"],
                         model_class="M", requirements=["numpy"])
    return Path(info.path)


@pytest.mark.parametrize("present, expected", [
    (("docker", "podman", "buildah"), "buildah"),
    (("docker", "podman"), "podman"),
    (("docker",), "docker"),
])
def test_detection_order(present, expected):
    assert LocalBuilder(which=_which(*present)).tool() == expected


def test_explicit_builder_and_missing_tools():
    assert LocalBuilder("docker", which=_which("docker", "buildah")).tool() == "docker"
    with pytest.raises(BuilderNotFound, match="apt-get install podman"):
        LocalBuilder("podman", which=_which("docker")).tool()
    with pytest.raises(BuilderNotFound, match="needs no image|without any image"):
        LocalBuilder(which=_which()).tool()
    with pytest.raises(BuildError, match="one of"):
        LocalBuilder("kaniko", which=_which("kaniko")).tool()


def test_buildah_build_and_push_argv_digest_and_lineage(package):
    run = FakeRun()
    lines: list[str] = []
    builder = LocalBuilder(which=_which("buildah"), run=run, isolation="chroot",
                           env={"CONTAINERS_CONF": "/x.conf"})
    request = BuildRequest(name="m", folder=str(package), image="127.0.0.1:5000/m:1", push=True,
                           builder_image="local/seldon:1", tls_verify=False,
                           mounts=("/ca.crt:/ca.crt:ro",), build_args={"X": "1"})
    result = builder.build(request, on_line=lines.append)
    build, push = run.calls
    assert build[:2] == ["buildah", "bud"]
    assert build[build.index("-f") + 1] == str(package / "Dockerfile")
    assert build[build.index("-t") + 1] == "127.0.0.1:5000/m:1"
    pairs = list(zip(build, build[1:], strict=False))
    assert ("--build-arg", "BUILDER_IMAGE=local/seldon:1") in pairs
    assert ("--build-arg", "X=1") in pairs and ("--isolation", "chroot") in pairs
    assert ("-v", "/ca.crt:/ca.crt:ro") in pairs and "--tls-verify=false" in build
    assert build[-1] == str(package)
    assert push[:3] == ["buildah", "push", "--digestfile"]
    assert push[-2:] == ["127.0.0.1:5000/m:1", "docker://127.0.0.1:5000/m:1"]
    assert run.env["CONTAINERS_CONF"] == "/x.conf" and "PATH" in run.env
    assert result == BuildResult(image="127.0.0.1:5000/m:1", digest=DIGEST,
                                 log_tail=("buildah bud ok", "buildah push ok"),
                                 dockerfile_path=str(package / "Dockerfile"),
                                 builder="buildah", pushed=True)
    assert lines == ["buildah bud ok", "buildah push ok"]
    lineage = read_lineage(package)
    assert (lineage["image"], lineage["digest"], lineage["builder"]) == (
        "127.0.0.1:5000/m:1", DIGEST, "buildah")
    assert BuildResult.from_dict(result.to_dict()) == result


def test_without_push_the_digest_is_the_image_id(package):
    run = FakeRun()
    result = LocalBuilder("podman", which=_which("podman"), run=run).build(
        BuildRequest(name="m", folder=str(package), image="m:1"))
    assert [c[:2] for c in run.calls] == [["podman", "build"]]
    assert result.digest == f"sha256:{IMAGE_ID}" and not result.pushed


def test_docker_push_digest_from_the_push_output(package):
    run = FakeRun(outputs={"push": f"The push refers to repository [reg/m]\n1: digest: {DIGEST}"
                                   " size: 898\n"})
    builder = LocalBuilder("docker", which=_which("docker"), run=run)
    result = builder.build(BuildRequest(name="m", folder=str(package), image="reg/m:1", push=True))
    assert [c[:2] for c in run.calls] == [["docker", "build"], ["docker", "push"]]
    assert result.digest == DIGEST


def test_docker_push_digest_from_inspect_and_no_mounts(package):
    other = "sha256:" + "ef" * 32
    run = FakeRun(outputs={"inspect": f'["old:5000/m@{other}", "reg:5000/m@{DIGEST}"]\n'})
    builder = LocalBuilder("docker", which=_which("docker"), run=run)
    result = builder.build(BuildRequest(name="m", folder=str(package), image="reg:5000/m:1",
                                        push=True))
    assert [c[:2] for c in run.calls] == [["docker", "build"], ["docker", "push"],
                                          ["docker", "inspect"]]
    assert result.digest == DIGEST
    with pytest.raises(BuildError, match="bind-mount"):
        builder.build(BuildRequest(name="m", folder=str(package), image="reg/m:1",
                                   mounts=("/a:/a",)))


def test_failed_build_raises_with_the_output_tail(package):
    run = FakeRun(returncodes=[1], outputs={"bud": "step 1\nERROR: pip failed\n"})
    with pytest.raises(BuildError, match="exited with 1(.|\n)*ERROR: pip failed"):
        LocalBuilder("buildah", which=_which("buildah"), run=run).build(
            BuildRequest(name="m", folder=str(package), image="m:1", push=True))
    assert len(run.calls) == 1  # no push after a failed build
    assert "image" not in read_lineage(package)


def test_runner_errors_become_build_errors(package):
    def timeout(*args, **kwargs):
        raise MlpipeError("buildah took longer than 5s and was stopped")

    with pytest.raises(BuildError, match="longer than 5s"):
        LocalBuilder("buildah", which=_which("buildah"), run=timeout).build(
            BuildRequest(name="m", folder=str(package), image="m:1", timeout=5))


def test_render_is_side_effect_free(package):
    text = LocalBuilder(which=_which()).render(BuildRequest(name="m", folder=str(package),
                                                            image="m:1"))
    assert "RUN /s2i/bin/assemble" in text and 'io.mlpipe.package="m"' in text
    assert not (package / "Dockerfile").exists()


def test_make_builder():
    from jupyter_mlpipe.builders import make_builder
    from jupyter_mlpipe.errors import ConfigError

    assert isinstance(make_builder("local"), LocalBuilder)
    with pytest.raises(ConfigError, match="unknown build backend"):
        make_builder("kaniko")
