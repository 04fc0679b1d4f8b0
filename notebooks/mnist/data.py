"""Training data for the example: MNIST idx files when present, else scikit-learn's digits.

MNIST is used when its four idx files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally ``.gz``) are found under
one of the data folders (searched a few levels deep, so torchvision's ``MNIST/raw/`` layout
works). Otherwise the 1,797 8×8 digits bundled with scikit-learn (no download) are made to look
like MNIST: scaled from 0–16 to 0–1, resized to 20×20 and centred in a 28×28 frame (MNIST's own
layout), with a fixed 80/20 train/test split that does not depend on the training seed.

Images come back as float32 arrays in 0–1 of shape ``(N, 28, 28)``; labels as int64 ``(N,)``.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_IDX_UBYTE = 0x08
SPLIT_SEED = 20180601  # fixed: every experiment of a sweep sees the same split
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def read_idx(path: str) -> np.ndarray:
    """An unsigned-byte idx file (plain or gzip) as a numpy array of its declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _IDX_UBYTE:
        raise ValueError(f"{path} is not an unsigned-byte idx file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    start = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - start != count:
        raise ValueError(f"{path}: header says {dims}, file holds {len(data) - start} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(dims)


def find_mnist(roots: Iterable[str], max_depth: int = 3) -> dict[str, str] | None:
    """Paths of the four MNIST idx files in one folder under ``roots``, or None."""
    for root in roots:
        if not root or not os.path.isdir(root):
            continue
        base_depth = root.rstrip(os.sep).count(os.sep)
        for folder, subfolders, files in os.walk(root):
            if folder.count(os.sep) - base_depth >= max_depth:
                subfolders[:] = []
            found = {}
            for key, stem in IDX_FILES.items():
                for name in (stem, stem + ".gz"):
                    if name in files:
                        found[key] = os.path.join(folder, name)
                        break
            if len(found) == len(IDX_FILES):
                return found
    return None


def load_mnist(files: dict[str, str]) -> Dataset:
    arrays = {key: read_idx(path) for key, path in files.items()}
    return Dataset(
        "mnist",
        arrays["train_images"].astype(np.float32) / 255.0,
        arrays["train_labels"].astype(np.int64),
        arrays["test_images"].astype(np.float32) / 255.0,
        arrays["test_labels"].astype(np.int64),
    )


def digits_to_mnist(images: np.ndarray) -> np.ndarray:
    """scikit-learn digits ``(N, 8, 8)`` in 0–16 → ``(N, 28, 28)`` float32 in 0–1, MNIST-style."""
    import torch
    import torch.nn.functional as F

    small = torch.as_tensor(np.asarray(images, dtype=np.float32) / 16.0).unsqueeze(1)
    big = F.interpolate(small, size=(20, 20), mode="bilinear", align_corners=False)
    framed = F.pad(big, (4, 4, 4, 4))  # MNIST centres a 20×20 digit in a 28×28 frame
    return framed.squeeze(1).clamp(0.0, 1.0).numpy()


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as ``(images (N, 8, 8) in 0–16, labels)``.

    Reads the CSV that ships inside scikit-learn directly when it is where it has always been
    (saves a second of import time in every trial of a sweep); otherwise asks scikit-learn.
    """
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(location, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            table = np.loadtxt(path, delimiter=",")
            return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.images, bunch.target.astype(np.int64)


def load_digits() -> Dataset:
    raw, labels = _digits_arrays()
    images = digits_to_mnist(raw)
    order = np.random.RandomState(SPLIT_SEED).permutation(len(labels))
    cut = int(round(len(labels) * (1 - TEST_FRACTION)))
    train, test = order[:cut], order[cut:]
    return Dataset("digits", images[train], labels[train], images[test], labels[test])


def load(roots: Iterable[str]) -> Dataset:
    """MNIST from the first of ``roots`` that holds it, else the bundled digits."""
    files = find_mnist(roots)
    return load_mnist(files) if files else load_digits()
