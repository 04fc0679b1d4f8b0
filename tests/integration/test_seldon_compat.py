"""Our server and Seldon's own Python microservice (seldon-core 1.17.1) answer alike.

Each case serves one model folder with both, sends the same requests to both, and compares the
answers: payload form, data (numerically), names, shape, tags and metrics. Per-request ids
(``meta.puid``) and ``meta.requestPath`` (which Seldon fills only inside a cluster) are ignored.
Seldon runs from a cached virtual environment (see ``serving_harness.seldon_venv``).
"""

from __future__ import annotations

import base64
import copy
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.serving_harness import (
    MODELS,
    REPO,
    Client,
    Unavailable,
    seldon_venv,
    start_ours,
    start_seldon,
    stop,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MNIST = REPO / "notebooks" / "mnist"


@pytest.fixture(scope="module", autouse=True)
def _venv() -> None:
    try:
        seldon_venv()
    except Unavailable as exc:
        pytest.skip(f"Seldon's microservice cannot be installed: {exc}")


class Pair:
    """The same folder served by both servers."""

    def __init__(self, ours: Client, seldon: Client) -> None:
        self.ours, self.seldon = ours, seldon

    def post(self, path: str, obj: Any) -> tuple[tuple[int, Any], tuple[int, Any]]:
        return self.ours.post_json(path, obj), self.seldon.post_json(path, obj)

    def get(self, path: str) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
        a = self.ours.request("GET", path)
        b = self.seldon.request("GET", path)
        return (a[0], a[2]), (b[0], b[2])


@pytest.fixture
def serve_both(tmp_path: Path) -> Iterator[Any]:
    children = []
    clients: list[Client] = []

    def start(folder: Path, model: str, seldon_path: Path | None = None) -> Pair:
        ours, our_port = start_ours(folder, tmp_path / f"ours-{model}.log")
        children.append(ours)
        seldon, seldon_port = start_seldon(folder, model, tmp_path / f"seldon-{model}.log",
                                           pythonpath=seldon_path)
        children.append(seldon)
        clients.extend([Client(our_port), Client(seldon_port)])
        return Pair(clients[-2], clients[-1])

    yield start
    for c in clients:
        c.close()
    for child in children:
        stop(child)


def comparable(reply: Any) -> Any:
    """The reply without per-request and per-cluster metadata."""
    reply = copy.deepcopy(reply)
    if isinstance(reply, dict) and isinstance(reply.get("meta"), dict):
        reply["meta"].pop("puid", None)
        reply["meta"].pop("requestPath", None)
    return reply


def assert_same(ours: tuple[int, Any], seldon: tuple[int, Any]) -> None:
    assert ours[0] == seldon[0] == 200, (ours, seldon)
    a, b = comparable(ours[1]), comparable(seldon[1])
    assert set(a) == set(b), (a, b)
    assert a["meta"] == b["meta"]
    if "data" not in a:
        assert a == b
        return
    assert set(a["data"]) == set(b["data"]), (a, b)
    assert a["data"]["names"] == b["data"]["names"]
    if "tensor" in a["data"]:
        ta, tb = a["data"]["tensor"], b["data"]["tensor"]
        assert ta["shape"] == tb["shape"]
        np.testing.assert_allclose(ta["values"], tb["values"], rtol=1e-6, atol=1e-9)
    else:
        np.testing.assert_allclose(np.array(a["data"]["ndarray"], dtype=float),
                                   np.array(b["data"]["ndarray"], dtype=float),
                                   rtol=1e-6, atol=1e-9)


def test_rich_model_every_payload_form(serve_both: Any) -> None:
    pair = serve_both(MODELS / "rich", "RichModel")
    requests = [
        {"data": {"tensor": {"shape": [1, 3], "values": [1, 2, 3]}}},
        {"meta": {"puid": "abc", "tags": {"client": "x"}},
         "data": {"tensor": {"shape": [2, 3], "values": [1, 2, 3, 4, 5, 6.5]}}},
        {"data": {"ndarray": [[1, 2, 3], [4, 5, 6]]}},
        {"data": {"names": ["a", "b"], "ndarray": [[0.5, 1.5]]}},
        {"data": {"ndarray": [7, 8, 9]}},
        {"jsonData": {"nested": {"k": [1, 2, {"z": None}]}}},
        {"jsonData": {"k": 1}, "meta": {"tags": {"t": 1}}},
        {"strData": "seldon"},
        {"binData": base64.b64encode(b"\x00bytes\xff").decode()},
    ]
    for path in ("/predict", "/api/v1.0/predictions", "/api/v0.1/predictions"):
        for request in requests:
            assert_same(*pair.post(path, request))
    (s1, body1), (s2, body2) = pair.get("/health/status")
    assert s1 == s2 == 200
    assert_same((s1, json.loads(body1)), (s2, json.loads(body2)))
    (s1, body1), (s2, body2) = pair.get("/metadata")
    assert (s1, json.loads(body1)) == (s2, json.loads(body2))
    assert pair.get("/health/ping")[0][1].strip() == pair.get("/health/ping")[1][1].strip()
    ours, seldon = pair.post("/api/v1.0/feedback", {"request": {"data": {"ndarray": [[1, 2]]}},
                                                    "reward": 1.0})
    assert ours[0] == seldon[0] == 200
    assert ours[1]["data"]["ndarray"] == seldon[1]["data"]["ndarray"]
    assert ours[1]["data"]["names"] == seldon[1]["data"]["names"]


def test_linear_model_tensor_and_ndarray(serve_both: Any) -> None:
    pair = serve_both(MODELS / "linear", "LinearModel")
    rng = np.random.default_rng(1)
    for rows in (1, 3):
        x = rng.random((rows, 784)).round(5)
        assert_same(*pair.post("/api/v1.0/predictions", {
            "data": {"names": [], "tensor": {"shape": [rows, 784],
                                             "values": x.ravel().tolist()}}}))
        assert_same(*pair.post("/api/v1.0/predictions", {"data": {"ndarray": x.tolist()}}))


def test_echo_model_keeps_integer_and_float_inputs(serve_both: Any) -> None:
    pair = serve_both(MODELS / "echo", "EchoModel")
    for request in ({"data": {"tensor": {"shape": [784], "values": list(range(784))}}},
                    {"data": {"ndarray": [[1, 2], [3, 4]]}},
                    {"data": {"tensor": {"shape": [2, 2], "values": [0.1, 0.2, 0.3, 0.4]}}}):
        assert_same(*pair.post("/predict", request))


def test_predict_raw_and_errors_match(serve_both: Any) -> None:
    raw = serve_both(MODELS / "raw", "RawModel")
    ours, seldon = raw.post("/predict", {"anything": [1], "else": "x"})
    assert ours == seldon
    failing = serve_both(MODELS / "failing", "FailingModel")
    ours, seldon = failing.post("/predict", {"data": {"ndarray": [[1]]}})
    assert ours == seldon == (500, {"status": {
        "code": -1, "info": "the model cannot handle this input",
        "reason": "MICROSERVICE_INTERNAL_ERROR", "status": 1}})
    ours, seldon = failing.post("/predict", [1, 2])
    assert ours[0] == seldon[0] == 400
    assert ours[1]["status"]["reason"] == seldon[1]["status"]["reason"] == "MICROSERVICE_BAD_DATA"


def _torch_overlay(dest: Path) -> Path:
    """This venv's torch (and its pure-Python dependencies) for Seldon's venv to import.

    Seldon's image would pip-install torch from the folder's requirements.txt; linking the
    exact build used here avoids a multi-gigabyte download and keeps the numerics identical.
    """
    torch = pytest.importorskip("torch")
    site = Path(torch.__file__).resolve().parents[1]
    dest.mkdir()
    for entry in site.iterdir():
        if entry.name.split("-")[0].split(".")[0].lower() in {
                "torch", "torchgen", "functorch", "sympy", "mpmath", "networkx", "filelock",
                "fsspec", "isympy"}:
            (dest / entry.name).symlink_to(entry)
    return dest


@pytest.mark.skipif(not (MNIST / "MnistModel.py").is_file(), reason="no MNIST example here")
def test_mnist_example_folder(serve_both: Any, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    folder = tmp_path / "mnist-pkg"
    (folder / ".s2i").mkdir(parents=True)
    for name in ("MnistModel.py", "network.py"):
        shutil.copy(MNIST / name, folder / name)
    (folder / ".s2i" / "environment").write_text(
        "MODEL_NAME=MnistModel\nSERVICE_TYPE=MODEL\nPERSISTENCE=0\nGRPC_WORKERS=0\n")
    sys.path.insert(0, str(folder))
    try:
        from network import Network  # type: ignore[import-not-found]

        torch.manual_seed(0)
        torch.save(Network().state_dict(), folder / "model.dat")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("network", None)
    overlay = _torch_overlay(tmp_path / "overlay")
    pair = serve_both(folder, "MnistModel", seldon_path=overlay)
    from PIL import Image

    with Image.open(MNIST / "digit.png") as image:
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
    requests = [
        {"data": {"names": [], "tensor": {"shape": [784], "values": pixels.ravel().tolist()}}},
        {"data": {"ndarray": (pixels / 255.0).tolist()}},
        {"data": {"tensor": {"shape": [2, 784],
                             "values": np.vstack([pixels.ravel(), pixels.ravel()[::-1]])
                             .ravel().tolist()}}},
    ]
    for request in requests:
        ours, seldon = pair.post("/api/v0.1/predictions", request)
        assert_same(ours, seldon)
        assert ours[1]["data"]["names"] == [str(d) for d in range(10)]
