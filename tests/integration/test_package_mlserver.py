"""An ``--layout mlserver`` package served by MLServer itself answers Open Inference requests.

MLServer is installed into a virtual environment of its own (cached beside the build test's
images, ``~/.cache/mlpipe-test/`` or ``MLPIPE_TEST_CACHE``), so the project does not depend on it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from jupyter_mlpipe import proc
from jupyter_mlpipe.packaging import write_package

pytestmark = pytest.mark.integration

MLSERVER = "mlserver==1.7.1"

MODEL = '''import os

import numpy as np


class Affine:
    def load(self):
        here = os.path.dirname(os.path.abspath(__file__))
        self.w = np.load(os.path.join(here, "w.npy"))

    def predict(self, X, names, meta=None):
        return np.asarray(X, dtype=np.float64).reshape(-1, self.w.shape[0]) @ self.w
'''


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def mlserver_bin() -> Path:
    cache = Path(os.environ.get("MLPIPE_TEST_CACHE", "~/.cache/mlpipe-test")).expanduser()
    venv = cache / f"venv-{MLSERVER.replace('==', '-')}"
    # venv scripts carry absolute shebangs, so the venv is built in place; a marker written
    # last tells a complete one from the remains of an interrupted run.
    complete = venv / ".complete"
    if not complete.exists():
        shutil.rmtree(venv, ignore_errors=True)
        for argv in ([sys.executable, "-m", "venv", str(venv)],
                     [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", MLSERVER,
                      "numpy"]):
            done = proc.run(argv, timeout=900)
            assert done.returncode == 0, done.output[-3000:]
        complete.write_text(MLSERVER + "\n")
    return venv / "bin" / "mlserver"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def test_mlserver_serves_the_package(tmp_path, mlserver_bin):
    src = tmp_path / "src"
    src.mkdir()
    (src / "Affine.py").write_text(MODEL)
    w = np.arange(12.0).reshape(4, 3) / 10
    np.save(tmp_path / "w.npy", w)
    info = write_package(tmp_path / "d", "affine", source=src, checkpoints=[tmp_path / "w.npy"],
                         model_class="Affine", format="mlserver")
    http = _free_port()
    env = {**os.environ, "MLSERVER_HTTP_PORT": str(http), "MLSERVER_GRPC_PORT": str(_free_port()),
           "MLSERVER_METRICS_PORT": str(_free_port()), "MLSERVER_HOST": "127.0.0.1"}
    log = tmp_path / "mlserver.log"
    server = proc.spawn([str(mlserver_bin), "start", info.path], env=env, stdout_path=log)
    try:
        deadline = time.monotonic() + 120
        while _get(f"http://127.0.0.1:{http}/v2/models/affine/ready") != 200:
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        body = {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64",
                            "data": [1, 2, 3, 4, 0, 0, 1, 0]}]}
        request = urllib.request.Request(
            f"http://127.0.0.1:{http}/v2/models/affine/infer", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            reply = json.loads(answer.read())
        output = reply["outputs"][0]
        assert reply["model_name"] == "affine" and output["shape"] == [2, 3]
        expected = np.array([[1, 2, 3, 4], [0, 0, 1, 0]]) @ w
        np.testing.assert_allclose(np.asarray(output["data"]).reshape(2, 3), expected)
    finally:
        proc.terminate_group(server.pid, 10.0)
        server.wait(timeout=30)
