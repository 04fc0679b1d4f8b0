"""`%mlpipe ship` runs the API's pipeline from a notebook: progress printed, the record returned."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from jupyter_mlpipe.api import Mlpipe, OperationRecord

pytestmark = pytest.mark.integration


def test_ship_from_a_magic(
    shell: Any, api: Mlpipe, tiny_project: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = shell.run_cell_magic("mlpipe", "sweep --name real --wait", tiny_project)
    group = sweep.group
    capsys.readouterr()
    record = shell.run_line_magic("mlpipe", f"ship {group} --metric accuracy --mode max")
    try:
        assert isinstance(record, OperationRecord) and record.status == "succeeded"
        best = shell.run_line_magic("mlpipe", f"best {group} --metric accuracy --mode max")
        name = f"nbtest-g{group}-e{best.id}"
        assert record.result["package"]["name"] == name
        out = capsys.readouterr().out
        assert f"best: experiment {best.id}" in out and "deploy: serving" in out
        assert f"<operation {record.id}: ship succeeded" in repr(record)
        prediction = shell.run_line_magic("mlpipe", f"predict {name} '[[1.0]]'")
        assert prediction.values == [[2.0]]  # the lr=2.0 experiment is the most accurate
        assert shell.run_line_magic("mlpipe", f"operations {record.id}") == record
        with pytest.raises(UsageError, match="undeploy"):
            shell.run_line_magic("mlpipe", f"ship --experiment {best.id} --name {name} --force")
    finally:
        for deployed in api.deployments().index:
            api.undeploy(deployed)


def test_ship_without_a_target_is_a_usage_error(shell: Any) -> None:
    with pytest.raises(UsageError, match="ship needs a group"):
        shell.run_line_magic("mlpipe", "ship")
