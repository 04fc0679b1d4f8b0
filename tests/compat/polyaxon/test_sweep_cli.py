"""Upstream polyaxonfiles swept for real through the `mlpipe` CLI: multi-step commands run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_mlpipe

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent / "fixtures"
REPO = str(Path(jupyter_mlpipe.__file__).resolve().parents[1])
# Stands in for the program Polyaxon's fixtures call: logs its args and a metric.
PROGRAM = """\
import os, sys
from polyaxon_helper import get_outputs_path, send_metrics
masks = int(next(a for a in sys.argv if a.startswith("--num_masks=")).split("=")[1])
print("args", sys.argv[1:], os.environ.get("STAGE", "-"), os.path.basename(os.getcwd()))
model = next(a for a in sys.argv if a.startswith("--model=")).split("=")[1]
send_metrics(loss=1.0 / masks + (int(model) / 100 if model.isdigit() else 0))
open(os.path.join(get_outputs_path(), "ran-%d" % masks), "w").write("x")
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "video_prediction_train"
    program.write_text(f"#!{sys.executable}\n{PROGRAM}")
    program.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLPIPE_", "POLYAXON_"))}
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env["PATH"]])
    env["PYTHONPATH"] = REPO
    env["MLPIPE_OUTPUTS_ROOT"] = str(tmp_path / "outputs")
    project = tmp_path / "project"
    project.mkdir()
    return project, env


def sweep(project: Path, env: dict[str, str], spec: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_mlpipe.cli", "sweep", "-f", str(spec), "--wait"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def experiment_dirs(env: dict[str, str]) -> list[Path]:
    groups = next(Path(env["MLPIPE_OUTPUTS_ROOT"]).rglob("groups"))
    return sorted(p for p in (groups / "1").iterdir() if p.is_dir())


def test_list_cmd_fixture_runs_both_commands(sandbox: tuple[Path, dict[str, str]]) -> None:
    project, env = sandbox
    spec = project / "polyaxonfile.yml"
    shutil.copy(FIXTURES / "v05" / "plain_run_cmd_simple_file_list_cmds.yml", spec)
    done = sweep(project, env, spec)
    assert done.returncode == 0, done.stdout + done.stderr
    (trial,) = experiment_dirs(env)
    assert (trial / "ran-1").exists() and (trial / "ran-10").exists()
    log = (trial / "output.log").read_text()
    assert log.index("'--num_masks=1'") < log.index("'--num_masks=10'")


def test_a_group_with_export_cd_and_and_then(sandbox: tuple[Path, dict[str, str]]) -> None:
    project, env = sandbox
    (project / "src").mkdir()
    spec = project / "sweep.yml"
    text = (FIXTURES / "v05" / "plain_run_cmd_matrix_file.yml").read_text()
    text = text.replace(
        'cmd: video_prediction_train --model="{{ model }}" --num_masks=10',
        'cmd: export STAGE="{{ model }} x" && cd src && video_prediction_train '
        '--model="{{ model }}" --num_masks=10',
    )
    spec.write_text(text)
    done = sweep(project, env, spec)
    assert done.returncode == 0, done.stdout + done.stderr
    trials = experiment_dirs(env)
    assert len(trials) == 3
    logs = [(t / "output.log").read_text() for t in trials]
    models = [json.loads((t / "params.json").read_text())["model"] for t in trials]
    for model, log in zip(models, logs, strict=True):
        assert f"args ['--model={model}', '--num_masks=10'] {model} x src" in log


HYPERBAND = """\
version: 1
kind: group
hptuning:
  seed: 5
  concurrency: 3
  hyperband:
    max_iter: 3
    eta: 3
    resource: {name: num_masks, type: INT}
    metric: {name: loss, optimization: MINIMIZE}
  matrix:
    model: {values: [1, 2, 3, 4, 5, 6]}
run:
  cmd: video_prediction_train --model={{ model }} --num_masks={{ num_masks }}
"""


def test_hyperband_brackets_through_the_engine(sandbox: tuple[Path, dict[str, str]]) -> None:
    # max_iter 3, eta 3: bracket 1 runs 3 configurations at 1, then the best at 3;
    # bracket 0 runs 2 configurations at 3. Six experiments.
    project, env = sandbox
    spec = project / "hyperband.yml"
    spec.write_text(HYPERBAND)
    done = sweep(project, env, spec)
    assert done.returncode == 0, done.stdout + done.stderr
    params = [json.loads((t / "params.json").read_text()) for t in experiment_dirs(env)]
    assert sorted(p["num_masks"] for p in params) == [1, 1, 1, 3, 3, 3]
    # the best (lowest loss: smallest model) of the first rung was re-run with 3
    first_rung = [p["model"] for p in params if p["num_masks"] == 1]
    assert min(first_rung) in [p["model"] for p in params if p["num_masks"] == 3]
