"""Function sweeps for real: the supervisor runs each call of the notebook's function as a trial."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.tracking.function_trial import FUNCTION_FILE, SOURCE_FILE

pytestmark = pytest.mark.integration


def test_a_function_sweep_logs_returns_and_reports_exceptions(
    api: Mlpipe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    offset = 0.5  # a closure: travels with the function

    def train(lr: float, epochs: int) -> dict[str, float]:
        from jupyter_mlpipe import tracking

        for step in range(1, epochs + 1):
            tracking.log_metrics(step=step, loss=lr / step)
        with open(os.path.join(tracking.get_outputs_path(), "model.dat"), "w") as fh:
            fh.write(str(lr))
        if lr > 0.25:
            raise ValueError(f"lr {lr} diverged")
        return {"accuracy": offset + lr}

    sweep = api.sweep(
        train,
        matrix={"lr": {"values": [0.1, 0.2, 0.3]}},
        params={"epochs": 2},
        concurrency=2,
        objective="accuracy:max",
        wait=True,
        progress=False,
    )
    assert sweep.status() == "failed"
    rows = {row.params["lr"]: row for row in api.experiment_rows(sweep.group)}
    assert rows[0.1].status == rows[0.2].status == "succeeded"
    assert rows[0.2].last("accuracy") == pytest.approx(0.7)
    assert rows[0.2].metrics["loss"].last == pytest.approx(0.1)
    failed = rows[0.3]
    assert failed.status == "failed" and failed.exit_code == 1
    assert failed.message == "exited with code 1: ValueError: lr 0.3 diverged"
    log = "".join(api.logs(failed.id))
    assert "Traceback (most recent call last)" in log and ", in train\nValueError" in log
    assert failed.metrics["loss"].last == pytest.approx(0.15)  # logged before it raised
    assert api.best(sweep.group).params == {"lr": 0.2, "epochs": 2}
    assert api.group(sweep.group).name == "train"
    folder = Path(rows[0.1].path).parent
    assert (folder / FUNCTION_FILE).stat().st_size > 0
    assert "def train(lr: float, epochs: int)" in (folder / SOURCE_FILE).read_text()
    assert "function_trial" in api._store().read_spec_text(sweep.group)
    frame = api.experiments(sweep.group)
    assert "ValueError: lr 0.3 diverged" in frame.loc[failed.id, "message"]


KERNEL = """
import sys, time
from jupyter_mlpipe.api import Mlpipe

def train(x):
    time.sleep(0.5)
    return {"score": x * 2}

sweep = Mlpipe(project="tests").sweep(train, matrix={"x": {"values": [1, 2, 3, 4]}},
                                      objective="score:max")
print(sweep.group, flush=True)
time.sleep(30)  # killed here, mid-sweep
"""


def test_a_kernel_killed_mid_sweep_loses_nothing(api: Mlpipe, tmp_path: Path) -> None:
    script = tmp_path / "kernel.py"
    script.write_text(textwrap.dedent(KERNEL))
    kernel = subprocess.Popen(
        [sys.executable, str(script)], cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    assert kernel.stdout is not None
    group = int(kernel.stdout.readline())
    kernel.kill()  # SIGKILL: the kernel dies with the sweep running
    kernel.wait()
    kernel.stdout.close()
    handle = Mlpipe(api.settings).handle(group)  # a new kernel attaches
    record = handle.wait(progress=False)
    assert record.status == "succeeded", record.message
    rows = api.experiment_rows(group)
    assert sorted(r.last("score") for r in rows) == [2, 4, 6, 8]
    assert api.best(group).params == {"x": 4}
