"""Regression guards for behaviour a demanding user relies on, run through real processes.

- hostile matrix values reach the trial as exactly one argument each, never through a shell;
- Ctrl-C of ``mlpipe sweep --wait`` leaves the sweep running to completion (exit 130);
- a supervisor killed with SIGKILL is noticed by the next command, and ``resume`` finishes
  what had not started;
- ``package`` refuses names that are not DNS-1123 labels (exit 2) and writes nothing;
- a second :class:`Mlpipe` sees the state the first one created.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jupyter_mlpipe.api import Mlpipe

pytestmark = pytest.mark.integration

TRIAL = """
import json, os, sys, time
from jupyter_mlpipe import tracking

params = tracking.get_params()
out = tracking.get_outputs_path()
with open(os.path.join(out, "argv.json"), "w") as fh:
    json.dump(sys.argv[1:], fh)
for step in range(1, int(params.get("steps", 2)) + 1):
    time.sleep(float(params.get("pause", 0)))
    tracking.log_metrics(step=step, loss=1.0 / step)
with open(os.path.join(out, "model.dat"), "w") as fh:
    fh.write("weights")
"""

HOSTILE = [
    "; touch {canary}",
    "$(touch {canary})",
    "`touch {canary}`",
    "a b  c",
    "--lr=9",
    "{{{{ 7*7 }}}}",
    "",
    "x\\ny",
]


def mlpipe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_mlpipe.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "trial.py").write_text(TRIAL)
    return folder


def group_json(outputs_root: Path, project: str, gid: int) -> dict:
    path = next(outputs_root.glob(f"*/{project}/groups/{gid}/group.json"))
    return json.loads(path.read_text())


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.2)


def test_hostile_matrix_values_are_one_argument_each(project: Path, tmp_path: Path) -> None:
    canary = tmp_path / "PWNED"
    values = [v.format(canary=canary) for v in HOSTILE]
    listed = ", ".join(json.dumps(v) for v in values)
    spec = write(
        project,
        "hostile.yml",
        f"""
        version: 1
        kind: group
        hptuning:
          concurrency: 4
          matrix:
            s: {{values: [{listed}]}}
        run:
          cmd: python trial.py {{{{ s }}}} --s={{{{ s }}}}
        """,
    )
    api = Mlpipe(project="hostile")
    sweep = api.sweep(spec, wait=True, progress=False)
    assert sweep.status() == "succeeded"
    seen = {}
    for eid, row in api.experiments(sweep.group).iterrows():
        argv = json.loads((Path(api.experiment(eid).path) / "argv.json").read_text())
        seen[row["s"]] = argv
    for value in values:  # params are data: never split, never a template, never a shell
        assert seen[value] == [value, f"--s={value}"]
    assert not canary.exists()


def test_ctrl_c_of_sweep_wait_leaves_the_sweep_running(project: Path, outputs_root: Path) -> None:
    spec = write(
        project,
        "slow.yml",
        """
        version: 1
        kind: group
        hptuning:
          concurrency: 2
          matrix:
            x: {values: [1, 2]}
        declarations:
          steps: 4
          pause: 0.5
        run:
          cmd: python trial.py
        """,
    )
    child = subprocess.Popen(  # SIGINT must have its default meaning in the child
        [
            sys.executable,
            "-m",
            "jupyter_mlpipe.cli",
            "sweep",
            "-f",
            str(spec),
            "-p",
            "sigint",
            "--wait",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_for(lambda: any(outputs_root.glob("*/sigint/groups/1/*/metrics.jsonl")))
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    assert "running work continues" in err
    api = Mlpipe(project="sigint")
    record = api.handle(1).wait(progress=False, timeout=120)
    assert record.status == "succeeded"
    assert set(api.experiments(1)["status"]) == {"succeeded"}


def test_killed_supervisor_is_noticed_and_resume_finishes(
    project: Path, outputs_root: Path
) -> None:
    spec = write(
        project,
        "grid.yml",
        """
        version: 1
        kind: group
        hptuning:
          concurrency: 1
          matrix:
            pause: {values: [30, 0, 0.01]}
        declarations:
          steps: 2
        run:
          cmd: python trial.py
        """,
    )
    api = Mlpipe(project="killed", stop_grace=2)
    sweep = api.sweep(spec)
    wait_for(lambda: any(outputs_root.glob("*/killed/groups/1/*/argv.json")))
    pid = group_json(outputs_root, "killed", 1)["supervisor"]["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid))

    info = api.group(sweep.group)  # the next reader reconciles
    assert info.status == "failed"
    assert f"mlpipe resume {sweep.group}" in info.message
    assert set(api.experiments(sweep.group)["status"]) == {"stopped"}

    done = mlpipe("resume", str(sweep.group), "-p", "killed")
    assert done.returncode == 0, done.stderr
    record = api.handle(sweep.group).wait(progress=False, timeout=120)
    assert record.status in ("succeeded", "failed")
    statuses = api.experiments(sweep.group)["status"].tolist()
    assert statuses.count("succeeded") == 2  # the two that had not started
    assert statuses.count("stopped") == 1  # the interrupted one is not run twice


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_package_names_and_a_second_api_instance(project: Path, tmp_path: Path) -> None:
    (project / "QaModel.py").write_text(
        "class QaModel:\n    def predict(self, X, names=None, meta=None):\n        return X\n"
    )
    spec = write(
        project,
        "one.yml",
        """
        version: 1
        kind: group
        hptuning:
          matrix:
            x: {values: [1]}
        run:
          cmd: python trial.py
        """,
    )
    first = Mlpipe(project="pkg")
    sweep = first.sweep(spec, wait=True, progress=False)
    eid = int(first.experiments(sweep.group).index[0])

    second = Mlpipe(project="pkg")
    assert second.groups().equals(first.groups())
    assert second.experiment(eid).to_dict() == first.experiment(eid).to_dict()

    for bad in ("My_Model", "../x", "a/b"):
        done = mlpipe("package", str(eid), "--name", bad, "-p", "pkg")
        assert done.returncode == 2, done.stderr
        assert "DNS-1123" in done.stderr and "Traceback" not in done.stderr
    root = Path(os.environ["MLPIPE_DEPLOYMENTS_ROOT"])
    assert not root.exists() or not any(root.iterdir())

    done = mlpipe("package", str(eid), "--name", "qa-model", "-p", "pkg")
    assert done.returncode == 0, done.stderr
    again = mlpipe("package", str(eid), "--name", "qa-model", "-p", "pkg")
    assert again.returncode == 5 and "--force" in again.stderr  # a conflict
    forced = mlpipe("package", str(eid), "--name", "qa-model", "-p", "pkg", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (root / "qa-model" / "model.dat").read_text() == "weights"
