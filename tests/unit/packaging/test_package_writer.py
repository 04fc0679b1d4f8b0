"""write_package: layout, generated files, lineage, atomic landing, --force, names, failures."""

from __future__ import annotations

import errno
import hashlib
import json
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import Conflict, InvalidName, PackageError
from jupyter_mlpipe.packaging import copying, read_lineage, update_lineage, write_package
from jupyter_mlpipe.packaging.render import parse_environment

MODEL = """import numpy as np
import torch
from network import Net


class MnistModel:
    def load(self):
        pass

    def predict(self, X, names, meta=None):
        return X
"""


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "MnistModel.py").write_text(MODEL)
    (folder / "network.py").write_text("import torch.nn as nn\nimport os\nclass Net: pass\n")
    (folder / "labels.json").write_text('["0", "1"]')
    (folder / "stale.dat").write_bytes(b"old checkpoint")
    (folder / ".hidden.py").write_text("x = 1\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "network.cpython-311.pyc").write_bytes(b"\0")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.py").write_text("y = 2\n")
    (folder / "layers").mkdir()
    (folder / "layers" / "__init__.py").write_text("from .conv import Conv\n")
    (folder / "layers" / "conv.py").write_text("class Conv: pass\n")
    return folder


@pytest.fixture()
def ckpt(tmp_path: Path) -> Path:
    path = tmp_path / "outputs" / "model.dat"
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)) * 1000)
    return path


def _write(root: Path, src: Path, ckpt: Path, name: str = "mnist", **kw):
    kw.setdefault("lineage", {"project": "mnist", "group": 12, "experiment": 120,
                              "params": {"lr": 0.02}, "metrics": {"accuracy": 0.97}})
    return write_package(root, name, source=src, checkpoints=[ckpt], model_class="MnistModel",
                         **kw)


def test_seldon_layout_env_requirements_and_lineage(tmp_path, src, ckpt):
    info = _write(tmp_path / "deployments", src, ckpt)
    folder = Path(info.path)
    assert folder == (tmp_path / "deployments" / "mnist").resolve()
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [".s2i/environment", "MnistModel.py", "labels.json", "layers/__init__.py",
                     "layers/conv.py", "lineage.json", "model.dat", "network.py",
                     "requirements.txt"]
    env = parse_environment((folder / ".s2i" / "environment").read_text())
    assert env == {"MODEL_NAME": "MnistModel", "SERVICE_TYPE": "MODEL", "PERSISTENCE": "0",
                   "API_TYPE": "REST", "GUNICORN_WORKERS": "1", "GRPC_WORKERS": "0"}
    assert (folder / "requirements.txt").read_text().split() == ["numpy", "torch"]
    digest = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert [c.to_dict() for c in info.checkpoints] == [
        {"name": "model.dat", "sha256": digest, "size": 256000}]
    lineage = json.loads((folder / "lineage.json").read_text())
    assert lineage["checkpoints"] == [{"name": "model.dat", "sha256": digest, "size": 256000}]
    assert lineage["experiment"] == 120 and lineage["metrics"] == {"accuracy": 0.97}
    assert lineage["params"] == {"lr": 0.02} and lineage["who"] and lineage["packaged"] > 0
    assert lineage == dict(info.lineage) == read_lineage(folder)
    assert (folder / "lineage.json").stat().st_mode & 0o777 == 0o644
    assert (folder / "model.dat").read_bytes() == ckpt.read_bytes()
    assert not list((tmp_path / "deployments").glob(".*"))


def test_requirements_follow_the_model_module_only(tmp_path, src, ckpt):
    (src / "run.py").write_text("import sklearn\nfrom jupyter_mlpipe import tracking\n")
    (src / "plotting.py").write_text("import matplotlib\n")
    info = _write(tmp_path / "d", src, ckpt)
    assert (Path(info.path) / "requirements.txt").read_text().split() == ["numpy", "torch"]
    assert (Path(info.path) / "run.py").exists()  # copied, but adds no requirement


def test_requirements_from_list_file_and_source(tmp_path, src, ckpt):
    info = _write(tmp_path / "d", src, ckpt, name="a", requirements=["numpy", "numpy", "scipy"])
    assert (Path(info.path) / "requirements.txt").read_text() == "numpy\nscipy\n"
    reqs = tmp_path / "reqs.txt"
    reqs.write_text("torch>=2.2\n\n")
    info = _write(tmp_path / "d", src, ckpt, name="b", requirements=reqs)
    assert (Path(info.path) / "requirements.txt").read_text() == "torch>=2.2\n"
    (src / "requirements.txt").write_text("pillow\n")
    info = _write(tmp_path / "d", src, ckpt, name="c")
    assert (Path(info.path) / "requirements.txt").read_text() == "pillow\n"
    with pytest.raises(PackageError, match="requirements file"):
        _write(tmp_path / "d", src, ckpt, name="e", requirements=tmp_path / "missing.txt")


def test_mlserver_format(tmp_path, src, ckpt):
    info = _write(tmp_path / "d", src, ckpt, format="mlserver")
    folder = Path(info.path)
    settings = json.loads((folder / "model-settings.json").read_text())
    assert settings == {"name": "mnist", "implementation": "mlpipe_runtime.MnistModelRuntime",
                        "parameters": {"uri": "./model.dat"}}
    assert json.loads((folder / "settings.json").read_text()) == {"parallel_workers": 0}
    runtime = (folder / "mlpipe_runtime.py").read_text()
    compile(runtime, "mlpipe_runtime.py", "exec")
    assert "class MnistModelRuntime(MLModel)" in runtime and "async def predict" in runtime
    assert (folder / "requirements.txt").read_text().split()[0] == "mlserver"


def test_refuses_existing_without_force_and_replaces_with_force(tmp_path, src, ckpt):
    root = tmp_path / "d"
    first = _write(root, src, ckpt)
    marker = Path(first.path) / "user-note.txt"
    marker.write_text("keep me")
    with pytest.raises(Conflict, match="--force"):
        _write(root, src, ckpt)
    assert marker.read_text() == "keep me"
    ckpt.write_bytes(b"new weights")
    second = _write(root, src, ckpt, force=True)
    assert not marker.exists()
    assert (Path(second.path) / "model.dat").read_bytes() == b"new weights"
    assert second.checkpoints[0].sha256 == hashlib.sha256(b"new weights").hexdigest()
    assert sorted(p.name for p in root.iterdir()) == ["mnist"]


@pytest.mark.parametrize("name", ["../x", "A_B", "a" * 64, "", "-a", "a/b", ".", "x."])
def test_rejects_invalid_names(tmp_path, src, ckpt, name):
    with pytest.raises(InvalidName):
        _write(tmp_path / "d", src, ckpt, name=name)
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())


def test_missing_source_module_class_checkpoint(tmp_path, src, ckpt):
    root = tmp_path / "d"
    with pytest.raises(PackageError, match="does not exist"):
        _write(root, tmp_path / "nope", ckpt)
    with pytest.raises(PackageError, match="needs the module Other.py"):
        write_package(root, "m", source=src, checkpoints=[ckpt], model_class="Other")
    (src / "Broken.py").write_text("class Other:\n    pass\n")
    with pytest.raises(PackageError, match="defines no class 'Broken'"):
        write_package(root, "m", source=src, checkpoints=[ckpt], model_class="Broken")
    (src / "Bad.py").write_text("def (:\n")
    with pytest.raises(PackageError, match="does not parse"):
        write_package(root, "m", source=src, checkpoints=[ckpt], model_class="Bad")
    with pytest.raises(PackageError, match="checkpoint"):
        _write(root, src, tmp_path / "missing.dat")
    with pytest.raises(PackageError, match="clashes"):
        write_package(root, "m", source=src, checkpoints=[src / "network.py"],
                      model_class="MnistModel")
    assert not root.exists() or not any(root.iterdir())


def test_enospc_mid_copy_leaves_nothing(tmp_path, src, ckpt, monkeypatch):
    calls = []
    real = copying._write_all

    def full_disk(fd, view):
        calls.append(len(view))
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, view)

    monkeypatch.setattr(copying, "KERNEL_COPY", False)
    monkeypatch.setattr(copying, "_write_all", full_disk)
    with pytest.raises(PackageError, match="No space left.*free some space"):
        _write(tmp_path / "d", src, ckpt)
    assert list((tmp_path / "d").iterdir()) == []


def test_enospc_during_forced_replace_keeps_old_package(tmp_path, src, ckpt, monkeypatch):
    root = tmp_path / "d"
    _write(root, src, ckpt)

    def full_disk(fd, view):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(copying, "_write_all", full_disk)
    with pytest.raises(PackageError):
        _write(root, src, ckpt, force=True)
    assert sorted(p.name for p in root.iterdir()) == ["mnist"]
    assert (root / "mnist" / "model.dat").read_bytes() == ckpt.read_bytes()


def test_not_enough_space_is_refused_up_front(tmp_path, src, ckpt, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10, 10, 5))
    with pytest.raises(PackageError, match="only 5 are free"):
        _write(tmp_path / "d", src, ckpt)


def test_update_lineage_rewrites_atomically(tmp_path, src, ckpt):
    info = _write(tmp_path / "d", src, ckpt)
    record = update_lineage(info.path, image="reg/mnist:1", digest="sha256:abc")
    assert read_lineage(info.path) == record
    assert record["image"] == "reg/mnist:1" and record["experiment"] == 120
