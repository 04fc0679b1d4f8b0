"""Packaging killed mid-copy (SIGKILL, SIGTERM) leaves no package folder behind."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from jupyter_mlpipe import proc
from jupyter_mlpipe.packaging import write_package

pytestmark = pytest.mark.integration

# The child slows each 4 MiB chunk copy down so the kill lands mid-copy deterministically.
CHILD = """
import sys, time
from jupyter_mlpipe.packaging import copying, write_package
real = copying._copy_range
def slow(*args):
    time.sleep(0.05)
    return real(*args)
copying._copy_range = slow
root, src, ckpt = sys.argv[1:4]
write_package(root, "big", source=src, checkpoints=[ckpt], model_class="M", requirements=[])
"""


@pytest.fixture()
def setup(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "M.py").write_text("class M:\n    def predict(self, X, names):\n        return X\n")
    ckpt = tmp_path / "big.dat"
    with open(ckpt, "wb") as fh:  # sparse-ish: data at the start and end, a hole in between
        fh.write(os.urandom(1 << 20))
        fh.seek(255 << 20)
        fh.write(os.urandom(1 << 20))
    return tmp_path / "deployments", src, ckpt


def _start(root: Path, src: Path, ckpt: Path, log: Path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return proc.spawn([sys.executable, "-c", CHILD, str(root), str(src), str(ckpt)],
                      env=env, stdout_path=log, detached=True)


def _wait_mid_copy(root: Path, child, log: Path) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert child.poll() is None, log.read_text()
        partial = list(root.glob(".big.tmp-*/big.dat")) if root.exists() else []
        if partial and partial[0].stat().st_size >= 8 << 20:
            return partial[0].parent
        time.sleep(0.02)
    raise AssertionError("the child never started copying")


def test_sigkill_mid_copy_leaves_no_package_and_next_call_cleans(setup, tmp_path):
    root, src, ckpt = setup
    child = _start(root, src, ckpt, tmp_path / "child.log")
    temp = _wait_mid_copy(root, child, tmp_path / "child.log")
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert not (root / "big").exists()
    assert temp.exists()  # the leftover only a later call can see is dead
    write_package(root, "other", source=src, checkpoints=[], model_class="M", requirements=[])
    assert sorted(p.name for p in root.iterdir()) == ["other"]


def test_sigterm_mid_copy_cleans_up_itself(setup, tmp_path):
    root, src, ckpt = setup
    child = _start(root, src, ckpt, tmp_path / "child.log")
    _wait_mid_copy(root, child, tmp_path / "child.log")
    os.kill(child.pid, signal.SIGTERM)
    assert child.wait(timeout=30) == -signal.SIGTERM
    assert list(root.iterdir()) == []
