"""The `mlpipe` command line, run as a real process: exit codes, tables, errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

SPEC = """
version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    x: {values: [1, 2]}
run:
  cmd: python trial.py
"""


def mlpipe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jupyter_mlpipe.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def test_sweep_wait_tables_best_and_logs(write_spec: Any, project: Path) -> None:
    path = write_spec(project, SPEC)
    done = mlpipe("sweep", "-f", str(path), "--project", "cli", "--wait")
    assert done.returncode == 0, done.stderr
    assert "group 1 (sweep): succeeded" in done.stdout
    table = mlpipe("experiments", "1", "--project", "cli", "--format", "csv", "--sort", "-x")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["x"] for r in rows] == ["2", "1"] and {r["status"] for r in rows} == {"succeeded"}
    best = mlpipe("best", "1", "-m", "loss", "--mode", "min", "-p", "cli", "--format", "json")
    assert json.loads(best.stdout)["params"]["x"] == 1
    # the spec states no objective: best must be told the direction, never guess it
    usage = mlpipe("best", "1", "--metric", "loss", "--project", "cli")
    assert usage.returncode == 2 and "--mode" in usage.stderr, usage.stderr
    assert "no objective" in mlpipe("objective", "1", "--project", "cli").stdout
    assert mlpipe("objective", "1", "loss:max", "--project", "cli").returncode == 0
    best = mlpipe("best", "1", "--project", "cli", "--format", "json")
    assert json.loads(best.stdout)["params"]["x"] == 2
    as_json = json.loads(mlpipe("groups", "--project", "cli", "--format", "json").stdout)
    assert as_json[0]["succeeded"] == 2
    logs = mlpipe("logs", "1", "--project", "cli")
    assert "done" in logs.stdout


def test_failed_group_exit_code(write_spec: Any, project: Path) -> None:
    path = write_spec(project, SPEC.replace("x: {values: [1, 2]}", "mode: {values: [fail]}"))
    done = mlpipe("sweep", "-f", str(path), "--project", "cli", "--wait")
    assert done.returncode == 1
    assert "failed" in done.stdout


def test_errors_are_one_line_with_exit_codes(write_spec: Any, project: Path) -> None:
    bad = write_spec(project, "version: 1\nkind: grop\n")
    done = mlpipe("sweep", "-f", str(bad))
    assert done.returncode == 2
    assert done.stderr.startswith(f"mlpipe: {bad}:2:7:")
    assert "Traceback" not in done.stderr
    missing = mlpipe("experiments", "42")
    assert missing.returncode == 3 and "group 42 does not exist" in missing.stderr


def test_dry_run_prints_argv_without_creating_anything(write_spec: Any, project: Path) -> None:
    import yaml

    path = write_spec(project, SPEC)
    done = mlpipe("sweep", "-f", str(path), "--dry-run", "--project", "cli")
    docs = list(yaml.safe_load_all(done.stdout))
    assert [d["params"]["x"] for d in docs] == [1, 2]
    assert docs[0]["argv"] == ["python", "trial.py"]
    assert "nothing" in mlpipe("groups", "--project", "cli").stdout


def test_config_shows_sources_and_sets(tmp_path: Path) -> None:
    shown = mlpipe("config")
    assert "outputs_root" in shown.stdout and "environment (MLPIPE_OUTPUTS_ROOT)" in shown.stdout
    assert mlpipe("config", "project", "mnist").returncode == 0
    assert "config file" in mlpipe("config", "project").stdout
    assert mlpipe("config", "backend", "cloud").returncode == 2


def test_help_lists_every_verb() -> None:
    from jupyter_mlpipe.cli import VERBS

    shown = mlpipe("--help")
    assert shown.returncode == 0
    for verb in VERBS:
        assert verb in shown.stdout


def test_kubernetes_dry_run_and_no_cluster(write_spec: Any, project: Path, tmp_path: Path) -> None:
    import os

    import yaml

    path = write_spec(project, SPEC.replace("kind: group", "kind: group\nbuild:\n  image: py:3"))
    done = mlpipe("sweep", "-f", str(path), "--backend", "kubernetes", "--dry-run")
    assert done.returncode == 0, done.stderr
    docs = list(yaml.safe_load_all(done.stdout))
    job = next(d for d in docs if d["kind"] == "Job")
    assert job["spec"]["completionMode"] == "Indexed" and job["spec"]["completions"] == 2
    assert job["spec"]["parallelism"] == 2 and job["spec"]["suspend"] is True
    assert any(d["kind"] == "ConfigMap" for d in docs)
    env = {**os.environ, "MLPIPE_KUBECONFIG": str(tmp_path / "no-such-kubeconfig"),
           "KUBERNETES_SERVICE_HOST": ""}
    refused = subprocess.run(
        [sys.executable, "-m", "jupyter_mlpipe.cli", "sweep", "-f", str(path), "--backend",
         "kubernetes"], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert refused.returncode == 2, refused.stderr
    assert "kubeconfig" in refused.stderr and "Traceback" not in refused.stderr
    assert "nothing" in mlpipe("groups").stdout


def test_empty_listings_and_a_new_project_say_where_they_looked(
    outputs_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLPIPE_PROJECT", raising=False)
    groups = mlpipe("groups", "--project", "empty")
    assert groups.returncode == 0, groups.stderr
    assert "nothing yet: project 'empty' has no sweeps (looked in" in groups.stdout
    assert str(outputs_root) in groups.stdout and "mlpipe sweep -f FILE" in groups.stdout
    assert json.loads(mlpipe("groups", "-p", "empty", "--format", "json").stdout) == []
    chosen = mlpipe("config", "project", "fresh")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.startswith("project = fresh (saved in")
    assert "nothing yet: project 'fresh' has no sweeps" in chosen.stderr
    assert "nothing yet: project 'fresh'" in mlpipe("groups").stdout  # the saved project
    deployments = mlpipe("deployments")
    assert "nothing yet: user" in deployments.stdout and str(outputs_root) in deployments.stdout
    bad = mlpipe("config", "project", "../up")
    assert bad.returncode == 2 and "DNS-1123" in bad.stderr
    assert "nothing yet: project 'fresh'" in mlpipe("groups").stdout  # nothing was saved


def test_a_package_is_found_from_any_folder(
    write_spec: Any, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLPIPE_DEPLOYMENTS_ROOT")  # the default: the local data folder
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    (project / "Model.py").write_text("class Model:\n    def predict(self, X, names=None):\n"
                                      "        return X\n")
    path = write_spec(project, SPEC.replace("x: {values: [1, 2]}", "x: {values: [1]}"))
    assert mlpipe("sweep", "-f", str(path), "-p", "anywhere", "--wait").returncode == 0
    rows = json.loads(mlpipe("experiments", "1", "-p", "anywhere", "--format", "json").stdout)
    packaged = mlpipe("package", str(rows[0]["id"]), "--name", "anywhere", "-p", "anywhere",
                      cwd=project)
    assert packaged.returncode == 0, packaged.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plan = mlpipe("deploy", "anywhere", "--dry-run", cwd=elsewhere)
    assert plan.returncode == 0, plan.stderr
    folder = tmp_path / "data-home" / "mlpipe" / "deployments" / "anywhere"
    assert str(folder) in plan.stdout and (folder / "model.dat").read_text() == "weights"
    assert not (project / "deployments").exists() and not (elsewhere / "deployments").exists()
