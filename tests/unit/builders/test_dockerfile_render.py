"""The rendered s2i-equivalent Dockerfile."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.builders.dockerfile import (
    DOCKERIGNORE,
    read_folder_env,
    render_dockerfile,
    write_dockerfile,
)
from jupyter_mlpipe.errors import BuildError

ENV = {"MODEL_NAME": "MnistModel", "SERVICE_TYPE": "MODEL", "PERSISTENCE": "0",
       "GRPC_WORKERS": "0"}


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_s2i_mode_runs_the_builder_images_scripts():
    text = render_dockerfile(ENV, True, builder_image="reg/seldon:1.17.1")
    lines = _lines(text)
    assert lines[:2] == ["ARG BUILDER_IMAGE=reg/seldon:1.17.1", "FROM ${BUILDER_IMAGE}"]
    env_block = text[text.index("ENV "):text.index("USER root")]
    assert 'MODEL_NAME="MnistModel"' in env_block and 'GRPC_WORKERS="0"' in env_block
    tail = lines[lines.index("USER root"):]
    assert tail == ["USER root", "COPY . /tmp/src", "RUN /s2i/bin/assemble", "USER 8888",
                    "EXPOSE 9000 6000", 'CMD ["/s2i/bin/run"]']


def test_pip_mode_installs_requirements_and_runs_the_microservice():
    lines = _lines(render_dockerfile(ENV, True, builder_image="python:3.11-slim", mode="pip"))
    assert "COPY requirements.txt /microservice/requirements.txt" in lines
    pip = next(line for line in lines if line.startswith("RUN pip install"))
    assert "-r requirements.txt" in pip and "'seldon-core==1.17.1'" in pip
    assert lines.index("COPY . /microservice") > lines.index(pip)  # code changes keep the pip layer
    assert lines[-1] == ('CMD ["sh", "-c", "exec seldon-core-microservice \\"$MODEL_NAME\\" '
                         '--service-type \\"$SERVICE_TYPE\\""]')
    no_reqs = _lines(render_dockerfile(ENV, False, mode="pip"))
    assert not any("requirements.txt" in line for line in no_reqs)


def test_values_are_escaped_and_labels_rendered():
    text = render_dockerfile({"MODEL_NAME": "M", "EXTRA": 'a "b" $HOME \\'},
                             False, labels={"io.mlpipe.package": "mnist"})
    assert 'EXTRA="a \\"b\\" \\$HOME \\\\"' in text
    assert 'LABEL io.mlpipe.package="mnist"' in text


@pytest.mark.parametrize("env, mode, match", [
    ({}, "s2i", "MODEL_NAME"),
    (ENV, "conda", "mode"),
    ({"MODEL_NAME": "M", "BAD KEY": "x"}, "s2i", "not a valid name"),
    ({"MODEL_NAME": "M\nRUN evil"}, "s2i", "newline"),
])
def test_bad_inputs(env, mode, match):
    with pytest.raises(BuildError, match=match):
        render_dockerfile(env, True, mode=mode)


def test_write_dockerfile_reads_the_package(tmp_path):
    (tmp_path / ".s2i").mkdir()
    (tmp_path / ".s2i" / "environment").write_text("# c\nMODEL_NAME=Lin\nSERVICE_TYPE=MODEL\n")
    path = write_dockerfile(tmp_path, builder_image="b:1")
    assert path == tmp_path / "Dockerfile"
    assert 'MODEL_NAME="Lin"' in path.read_text() and "ARG BUILDER_IMAGE=b:1" in path.read_text()
    assert (tmp_path / ".dockerignore").read_text() == DOCKERIGNORE
    assert read_folder_env(tmp_path) == {"MODEL_NAME": "Lin", "SERVICE_TYPE": "MODEL"}
    with pytest.raises(BuildError, match="not a package"):
        write_dockerfile(tmp_path / "nowhere")
