"""Seldon Core model class for the example network (``MODEL_NAME=MnistModel``).

Serving contract:

* ``__init__`` builds the network; ``load()`` reads ``model.dat`` (a ``state_dict`` saved by
  ``run.py``) onto the CPU (``map_location="cpu"``: a checkpoint saved on a GPU loads on a CPU-only
  pod). ``predict`` loads on first use if the server did not call ``load()``.
* ``predict(X, features_names)`` accepts one image or a batch: a 784-vector, a 28×28 array,
  ``N×784``, ``N×28×28`` or ``N×1×28×28``, as nested lists or a numpy array.
* Pixels may be 0–255 (what a PNG holds, what the original client sent) or 0–1 (what training
  used): if the largest value of the request is above 1.0 the whole request is divided by 255.
  (An image whose brightest pixel is at most 1 on a 0–255 scale is essentially black either way.)
  The pixels are then normalised exactly as in training (``network.normalise``).
* The answer is an ``N×10`` array of class probabilities (each row sums to 1); ``class_names()``
  names the columns ``"0"`` … ``"9"``.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import torch

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # loaded by file path (not from its own folder): find network.py
    sys.path.insert(0, _HERE)

from network import CLASSES, SIDE, Network, normalise  # noqa: E402

PIXELS = SIDE * SIDE


class MnistModel:
    """The trained CNN behind Seldon's Python model interface.

    Args:
        model_path: the checkpoint; default ``model.dat`` next to this file (the s2i folder).
            Seldon passes deployment ``parameters`` as keyword arguments, so it can be set there.
    """

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path or os.path.join(_HERE, "model.dat")
        self.network = Network()
        self.network.eval()
        self.loaded = False

    def load(self) -> None:
        """Read the checkpoint (Seldon calls this once before serving)."""
        state = torch.load(self.model_path, map_location="cpu", weights_only=True)
        self.network.load_state_dict(state)
        self.network.eval()
        self.loaded = True

    def class_names(self) -> list[str]:
        return [str(digit) for digit in range(CLASSES)]

    def predict(self, X, features_names=None, **kwargs) -> np.ndarray:
        """Class probabilities, ``N×10``, for one image or a batch (see the module docstring).

        Raises:
            ValueError: the input does not hold whole 28×28 images, or holds non-numbers.
        """
        if not self.loaded:
            self.load()
        images = to_images(X)
        with torch.no_grad():
            log_probs = self.network(normalise(torch.from_numpy(images)))
        return log_probs.exp().numpy().astype(np.float64)


def to_images(X) -> np.ndarray:
    """Any accepted input → ``(N, 28, 28)`` float32 pixels in 0–1."""
    try:
        array = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected numbers (pixels), got {type(X).__name__}: {exc}") from None
    if array.size == 0 or array.size % PIXELS:
        raise ValueError(
            f"expected 28×28 = 784 pixels per image (shape 784, 28×28, N×784 or N×28×28), "
            f"got shape {list(array.shape)}"
        )
    if not np.isfinite(array).all():
        raise ValueError("pixels must be finite numbers (no NaN or infinity)")
    if float(array.max()) > 1.0:  # a 0–255 image (PNG, the original client): scale like training
        array = array / 255.0
    return array.reshape(-1, SIDE, SIDE)
