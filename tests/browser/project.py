"""The small project the browser test sweeps and deploys: a trial script that logs metrics with
steps and saves a numpy "model", a numpy model class for serving, and the sweep file."""

from __future__ import annotations

from pathlib import Path

TRAIN = '''\
"""Fit y = w * x by a few gradient steps; log loss per step; save w as the checkpoint."""
import argparse
import os
import time

import numpy as np

from jupyter_mlpipe import tracking

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--steps", type=int, default=6)
parser.add_argument("--pause", type=float, default=1.5)
args = parser.parse_args()

x = np.linspace(-1.0, 1.0, 32)
y = 3.0 * x
w = 0.0
for step in range(args.steps):
    grad = float(np.mean(2 * (w * x - y) * x))
    w -= args.lr * grad
    loss = float(np.mean((w * x - y) ** 2))
    tracking.log_metrics(step=step, loss=loss, weight=w)
    tracking.flush()
    print(f"step {step} loss {loss:.4f}", flush=True)
    time.sleep(args.pause)
np.save(os.path.join(tracking.get_outputs_path(), "model.npy"), np.array([w]))
print("saved model.npy", flush=True)
'''

MODEL = '''\
"""Serve the fitted weight: predict(X) = w * X."""
import os

import numpy as np


class LineModel:
    def __init__(self, model_path=None):
        here = os.path.dirname(os.path.abspath(__file__))
        self.w = float(np.load(model_path or os.path.join(here, "model.npy"))[0])

    def predict(self, X, features_names=None):
        return np.asarray(X, dtype=float) * self.w
'''

SPEC = """\
version: 1
kind: group
hptuning:
  concurrency: 3
  matrix:
    lr:
      values: [0.05, 0.2, 0.4]
run:
  cmd: python train.py --lr={{ lr }}
"""


def write_project(root: Path) -> Path:
    """Write the project under ``root`` and return the spec file's path."""
    (root / "train.py").write_text(TRAIN)
    model = root / "model"
    model.mkdir(exist_ok=True)
    (model / "LineModel.py").write_text(MODEL)
    spec = root / "polyaxonfile.yml"
    spec.write_text(SPEC)
    return spec
