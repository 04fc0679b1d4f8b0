"""The MNIST-shaped example for real: run.py as a trial process, its checkpoint, its model class."""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import jupyter_mlpipe
from jupyter_mlpipe.store.metrics import MetricsReader
from jupyter_mlpipe.tracking import compat_path

pytest.importorskip("torch")
pytest.importorskip("sklearn")

pytestmark = pytest.mark.integration

REPO = Path(jupyter_mlpipe.__file__).resolve().parents[1]
EXAMPLE = REPO / "notebooks" / "mnist"
EXAMPLE_MODULES = ("network", "data", "MnistModel")


def trial_env(outputs: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLPIPE_TRIAL_", "POLYAXON_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), compat_path()])
    env["MLPIPE_TRIAL_OUTPUTS_PATH"] = str(outputs)
    env["MLPIPE_TRIAL_PARAMS"] = json.dumps({"lr": 0.0505, "momentum": 0.55, "epochs": 2})
    env["MLPIPE_TRIAL_INFO"] = json.dumps(
        {"user": "u", "project": "mnist", "group": 1, "experiment": 1}
    )
    env.update(extra)
    return env


def run_example(outputs: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "run.py", "--epochs=2", "--lr=0.0505", "--momentum=0.55", *args]
    return subprocess.run(
        argv,
        cwd=EXAMPLE,
        env=trial_env(outputs, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    outputs = tmp_path_factory.mktemp("groups") / "1"
    done = run_example(outputs)
    assert done.returncode == 0, done.stdout + done.stderr
    return outputs, done


@pytest.fixture
def example_modules():
    """Import the example's modules from its folder; forget them afterwards."""
    sys.path.insert(0, str(EXAMPLE))
    try:
        import MnistModel
        import network

        yield network, MnistModel
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in EXAMPLE_MODULES:
            sys.modules.pop(name, None)


def test_run_logs_loss_and_accuracy_every_epoch(trained):
    outputs, done = trained
    assert "data: digits" in done.stdout
    lines = [json.loads(line) for line in (outputs / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2]
    for line in lines:
        assert set(line["values"]) == {"loss", "accuracy", "train_loss"}
        assert all(math.isfinite(v) for v in line["values"].values())
        assert 0.0 <= line["values"]["accuracy"] <= 1.0
    # What the monitor reads is what was logged.
    points = MetricsReader(outputs.parent).read().points[1]
    assert [step for step, _, _ in points["accuracy"]] == [1, 2]
    assert not list(outputs.glob("model.dat.tmp-*"))  # the atomic save left nothing behind


def test_checkpoint_loads_into_the_network(trained, example_modules):
    import torch

    network, _ = example_modules
    outputs, _ = trained
    state = torch.load(outputs / "model.dat", map_location="cpu", weights_only=True)
    model = network.Network()
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert torch.allclose(out.exp().sum(dim=1), torch.ones(3))


def test_model_class_predicts_the_digit_png(trained, example_modules):
    from PIL import Image

    _, mnist_model = example_modules
    outputs, _ = trained
    model = mnist_model.MnistModel(model_path=str(outputs / "model.dat"))
    model.load()
    image = np.asarray(Image.open(EXAMPLE / "digit.png"))
    assert image.shape == (28, 28) and image.dtype == np.uint8
    probs = model.predict(image, [])
    assert probs.shape == (1, 10)
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert model.class_names() == [str(d) for d in range(10)]
    # 0–255 and 0–1 pixels, flat / square / batched / nested lists: the same answer.
    same = [
        image.reshape(784).tolist(),
        (image / 255.0).reshape(1, 784),
        (image / 255.0).reshape(1, 1, 28, 28),
    ]
    for variant in same:
        assert np.allclose(model.predict(variant, ["x"]), probs, atol=1e-6)
    batch = model.predict(np.stack([image, image, np.zeros((28, 28))]), None)
    assert batch.shape == (3, 10) and np.allclose(batch[0], probs[0], atol=1e-6)


def test_model_class_loads_lazily_and_refuses_bad_shapes(trained, example_modules):
    _, mnist_model = example_modules
    outputs, _ = trained
    model = mnist_model.MnistModel(model_path=str(outputs / "model.dat"))
    assert model.predict(np.zeros(784)).shape == (1, 10)  # no explicit load()
    for bad in ([1, 2, 3], np.zeros((2, 27, 27)), [["a"] * 784], np.full(784, np.nan)):
        with pytest.raises(ValueError, match="784|numbers|finite"):
            model.predict(bad)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    payload = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def test_mnist_idx_files_under_the_data_path_are_used(tmp_path):
    raw = tmp_path / "data" / "MNIST" / "raw"  # torchvision's layout
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(raw / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (120, 28, 28)))
    write_idx(raw / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 120))
    write_idx(raw / "t10k-images-idx3-ubyte", rng.integers(0, 256, (40, 28, 28)))
    write_idx(raw / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 40))
    outputs = tmp_path / "out"
    done = run_example(
        outputs,
        "--epochs=1",
        MLPIPE_TRIAL_DATA_PATHS=json.dumps({"mnist": str(tmp_path / "data")}),
    )
    assert done.returncode == 0, done.stderr
    assert "data: mnist, 120 train / 40 test images" in done.stdout
    assert (outputs / "model.dat").is_file()
    assert len((outputs / "metrics.jsonl").read_text().splitlines()) == 1  # the later --epochs


def test_digit_png_is_what_make_digit_renders(tmp_path):
    from PIL import Image

    out = tmp_path / "digit.png"
    env = trial_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "make_digit.py", "--out", str(out)],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    committed = np.asarray(Image.open(EXAMPLE / "digit.png"))
    assert np.array_equal(np.asarray(Image.open(out)), committed)
    assert committed.max() > 200 and committed.min() == 0  # a bright digit on black, MNIST-style


def test_bad_arguments_are_usage_errors(tmp_path):
    done = run_example(tmp_path, "--batch-size=0")
    assert done.returncode == 2 and "--batch-size must be at least 1" in done.stderr
