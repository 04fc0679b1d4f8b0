"""The example's network: 2 convolutions + 2 linear layers over 28×28×1 images, log-softmax out.

Also the one definition of the input normalisation, shared by training (``run.py``) and serving
(``MnistModel.py``) so the two can never drift apart.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: MNIST's pixel mean and standard deviation (pixels scaled to 0–1 first).
MEAN = 0.1307
STD = 0.3081

SIDE = 28
CLASSES = 10


def normalise(images: torch.Tensor) -> torch.Tensor:
    """Pixels in 0–1, shaped ``(N, 28, 28)`` or ``(N, 1, 28, 28)`` → the network input."""
    images = images.reshape(-1, 1, SIDE, SIDE).to(torch.float32)
    return (images - MEAN) / STD


class Network(nn.Module):
    """conv(1→10, 5×5) → max-pool → ReLU → conv(10→20, 5×5) → dropout → max-pool → ReLU →
    linear(320→50) → ReLU → dropout → linear(50→10) → log-softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.max_pool2d(self.conv1(x), 2))  # 28 → 24 → 12
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))  # 12 → 8 → 4
        x = F.relu(self.fc1(x.flatten(1)))  # 20 × 4 × 4 = 320
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)
