"""A tiny training project for engine tests: a trial script driven by its params."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_mlpipe.api import Mlpipe

TRIAL = """
import json, os, sys, time
from jupyter_mlpipe import tracking

params = tracking.get_params()
out = tracking.get_outputs_path()
with open(os.path.join(out, "argv.json"), "w") as fh:
    json.dump(sys.argv[1:], fh)
mode = params.get("mode", "ok")
if mode == "hang":
    time.sleep(600)
if mode == "sigkill":
    os.kill(os.getpid(), 9)
if mode == "flaky":
    marker = os.path.join(out, "attempted")
    if not os.path.exists(marker):
        open(marker, "w").close()
        sys.exit(7)
if mode == "fail":
    print("about to fail", flush=True)
    sys.exit(1)
steps = int(params.get("steps", 3))
for step in range(1, steps + 1):
    tracking.log_metrics(step=step, loss=float(params.get("x", 1)) / step, accuracy=0.1 * step)
    time.sleep(float(params.get("pause", 0)))
with open(os.path.join(out, "model.dat"), "w") as fh:
    fh.write("weights")
print("done", params, flush=True)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "trial.py").write_text(TRIAL)
    return folder


def _write_spec(folder: Path, body: str, name: str = "sweep.yml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip())
    return path


@pytest.fixture
def write_spec() -> Callable[..., Path]:
    """``write_spec(folder, body)`` writes a dedented spec file and returns its path."""
    return _write_spec


@pytest.fixture
def api() -> Iterator[Mlpipe]:
    """The API on the test's own roots; afterwards every group still running is stopped."""
    api = Mlpipe(project="tests", stop_grace=2)
    yield api
    for group in api._store().groups():
        if api._group_record(group.id).status in ("created", "running"):
            api.stop(group.id)
            api.handle(group.id).wait(progress=False, timeout=60)
