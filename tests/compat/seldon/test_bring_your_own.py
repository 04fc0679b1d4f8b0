"""Any hand-written Seldon s2i folder builds and deploys, not only folders `mlpipe package` wrote.

The folder is the article's ``deployments/mnist/`` shape: ``.s2i/environment``,
``MnistModel.py``, ``requirements.txt`` and no ``lineage.json``. Every backend renders it
(``--dry-run``) without writing into it; a local deploy serves it and records a *started*
lineage; the first build records its image in a new ``lineage.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import NotFound
from jupyter_mlpipe.packaging import read_lineage, update_lineage

MNIST_MODEL = """
import numpy as np


class MnistModel:
    def predict(self, X, feature_names):
        pixels = np.asarray(X, dtype=float).reshape(-1, 784)
        return pixels.sum(axis=1, keepdims=True)
"""


@pytest.fixture
def folder() -> Path:
    root = Path(os.environ["MLPIPE_DEPLOYMENTS_ROOT"]) / "mnist"
    (root / ".s2i").mkdir(parents=True)
    (root / ".s2i" / "environment").write_text(
        "MODEL_NAME=MnistModel\nAPI_TYPE=REST\nSERVICE_TYPE=MODEL\nPERSISTENCE=0\n")
    (root / "MnistModel.py").write_text(MNIST_MODEL)
    (root / "requirements.txt").write_text("numpy\n")
    return root


def test_started_lineage_is_read_not_written(folder: Path) -> None:
    lineage = read_lineage(folder)
    assert lineage["origin"] == "external" and lineage["format"] == "seldon"
    assert lineage["model_class"] == "MnistModel" and lineage["name"] == "mnist"
    assert not (folder / "lineage.json").exists()
    recorded = update_lineage(folder, image="registry.local/mnist:1")
    assert recorded["origin"] == "external" and recorded["image"] == "registry.local/mnist:1"
    assert read_lineage(folder) == recorded  # from now on, the recorded one


def test_a_folder_that_is_no_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"neither lineage.json, \.s2i/environment"):
        read_lineage(tmp_path)


@pytest.mark.parametrize("backend", ["local", "seldon"])
def test_deploy_dry_run_on_every_backend(folder: Path, backend: str) -> None:
    rendered = Mlpipe().deploy("mnist", backend=backend, dry_run=True,
                               image="registry.local/mnist:1")
    assert rendered and rendered[0]["kind"] in ("LocalProcess", "SeldonDeployment")
    assert sorted(p.name for p in folder.iterdir()) == [".s2i", "MnistModel.py",
                                                        "requirements.txt"]


@pytest.mark.parametrize("backend", ["local", "argo"])
def test_build_dry_run_on_every_backend(folder: Path, backend: str) -> None:
    # Argo builds read the folder from the repos volume: the deployments root lies on it.
    api = Mlpipe(repos_root=folder.parent.parent)
    rendered = api.build("mnist", image="registry.local/mnist:1", backend=backend, dry_run=True)
    assert 'io.mlpipe.package="mnist"' in str(rendered) or "registry.local/mnist:1" in str(
        rendered)
    assert not (folder / "lineage.json").exists()


@pytest.mark.integration
def test_local_deploy_serves_it_and_records_a_started_lineage(folder: Path) -> None:
    api = Mlpipe()
    record = api.deploy("mnist", backend="local")
    try:
        assert record["lineage"]["origin"] == "external"
        prediction = api.predict("mnist", [[1.0] * 784])
        assert "784" in repr(prediction)
    finally:
        api.undeploy("mnist")
