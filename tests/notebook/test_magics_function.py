"""``%mlpipe sweep --function NAME``: sweeping a function the notebook defines."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from IPython.core.error import UsageError

from jupyter_mlpipe.api import Mlpipe, Sweep

TRAIN = """
def train(lr, epochs=1):
    return {"accuracy": 1 - lr}
"""


def test_line_and_cell_forms_sweep_the_notebook_function(shell: Any, api: Mlpipe) -> None:
    shell.run_cell(TRAIN)
    plan = shell.run_line_magic(
        "mlpipe", """sweep --function train --matrix '{"lr": {"values": [0.1, 0.2]}}' --dry-run"""
    )
    assert [doc["params"] for doc in plan] == [{"lr": 0.1}, {"lr": 0.2}]
    sweep = shell.run_cell_magic(
        "mlpipe",
        "sweep --function train --objective accuracy:max --concurrency 2 --params 'epochs: 3'"
        " --wait",
        "lr: {linspace: '0.1:0.3:3'}\n",
    )
    assert isinstance(sweep, Sweep) and sweep.status() == "succeeded"
    assert api.best(sweep.group).params == {"lr": 0.1, "epochs": 3}
    assert api.group(sweep.group).name == "train"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("sweep --function nothing --matrix '{}'", "the notebook defines no 'nothing'"),
        ("sweep --function value --matrix '{}'", "value is a int, not a function"),
        ("sweep --function train", "needs its matrix"),
        ("sweep --function train --matrix '[1, 2]'", "must be a mapping"),
        ("sweep --function train --matrix '{a: [}'", "is not JSON or YAML"),
        ("sweep --function train --matrix '{\"x\": {\"values\": [1]}}'", "no keyword argument 'x'"),
        ("sweep -f spec.yml --matrix '{}'", "--matrix is for function sweeps"),
        ("sweep -f spec.yml --concurrency 2", "--concurrency is for function sweeps"),
    ],
)
def test_mistakes_are_usage_errors_and_create_nothing(
    shell: Any, api: Mlpipe, line: str, message: str
) -> None:
    shell.run_cell(TRAIN + "value = 3\n")
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("mlpipe", line)
    assert api._store().groups() == []


def test_the_cli_explains_that_function_sweeps_live_in_notebooks() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jupyter_mlpipe.cli", "sweep", "--function", "train"],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "a function sweep runs a function of the notebook" in out.stderr
