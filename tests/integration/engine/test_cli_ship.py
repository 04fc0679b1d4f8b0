"""`mlpipe ship` and `mlpipe operations` as real processes: progress on stderr, JSON on stdout."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.engine.test_cli import SPEC, mlpipe

pytestmark = pytest.mark.integration

MODEL = """
class TinyModel:
    def predict(self, X, names=None):
        return X
"""


@pytest.fixture
def swept(write_spec: Any, project: Path) -> Iterator[Path]:
    (project / "TinyModel.py").write_text(MODEL)
    done = mlpipe("sweep", "-f", str(write_spec(project, SPEC)), "--project", "cli", "--wait")
    assert done.returncode == 0, done.stderr
    yield project
    listed = json.loads(mlpipe("deployments", "--format", "json").stdout or "[]")
    for row in listed:
        mlpipe("undeploy", row["name"])


def test_ship_a_group_best_then_list_and_refuse_to_replace(swept: Path) -> None:
    done = mlpipe("ship", "1", "--metric", "loss", "--mode", "min", "-p", "cli", "--format", "json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["status"] == "succeeded"
    best = record["result"]["best"]["experiment"]
    name = f"cli-g1-e{best}"
    assert record["result"]["package"]["name"] == name
    assert "best: experiment" in done.stderr and "deploy: serving" in done.stderr
    best_json = mlpipe("best", "1", "-m", "loss", "--mode", "min", "-p", "cli", "--format", "json")
    params = json.loads(best_json.stdout)
    assert params["id"] == best and params["params"]["x"] == 1

    answer = mlpipe("predict", name, '{"data": {"ndarray": [[1.5]]}}')
    assert answer.returncode == 0 and "1.5" in answer.stdout

    listed = mlpipe("operations")
    assert listed.returncode == 0
    assert f"operation {record['id']} (ship): succeeded" in listed.stdout
    assert re.search(r"^  build +skipped — not needed", listed.stdout, re.M), listed.stdout
    assert f"mlpipe predict {name} INPUT" in listed.stdout  # what to do next
    one = json.loads(mlpipe("operations", record["id"], "--format", "json").stdout)
    assert one == record

    other = 2 if best == 1 else 1
    refused = mlpipe("ship", "-e", str(other), "--name", name, "--force", "-p", "cli")
    assert refused.returncode == 1
    assert f"`mlpipe undeploy {name}` first, or choose another name" in refused.stderr
    assert "package: failed" in refused.stderr


def test_ship_usage_errors_exit_2_and_record_nothing(swept: Path) -> None:
    done = mlpipe("ship", "-p", "cli")
    assert done.returncode == 2 and "not neither" in done.stderr
    missing = mlpipe("operations", "0123456789ab")
    assert missing.returncode == 3 and "no operation" in missing.stderr
    assert mlpipe("operations", "--format", "json").stdout.strip() in ("", "[]")
