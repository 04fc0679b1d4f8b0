"""Every verb for real from %mlpipe: a sweep of real processes, then package, deploy, predict."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlpipe.api import Mlpipe, Sweep
from jupyter_mlpipe.magics import register


@pytest.mark.integration
def test_the_whole_loop_from_magics(
    shell: Any, api: Mlpipe, tiny_project: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = shell.run_cell_magic("mlpipe", "sweep --name real --wait", tiny_project)
    assert isinstance(sweep, Sweep) and sweep.status() == "succeeded"
    group = sweep.group
    frame = shell.run_line_magic("mlpipe", f"experiments {group} --sort=-accuracy")
    assert frame["status"].tolist() == ["succeeded", "succeeded"]
    assert frame["lr"].tolist() == [2.0, 0.5]
    plot = shell.run_line_magic("mlpipe", f"plot {group} -m loss -m accuracy")
    assert plot.finished and plot.store.lines["accuracy"][int(frame.index[0])].size == 3
    best = shell.run_line_magic("mlpipe", f"best {group} --metric accuracy --mode max")
    assert best.id == int(frame.index[0])
    shell.run_line_magic("mlpipe", f"logs {best.id}")
    assert "trained with lr 2.0" in capsys.readouterr().out

    package = shell.run_line_magic("mlpipe", f"package {best.id} --name tiny-real")
    assert package.model_class == "TinyModel"
    capsys.readouterr()
    shell.run_line_magic("mlpipe", "build tiny-real --image registry.invalid/tiny:v1 --dry-run")
    assert "FROM " in capsys.readouterr().out  # the Dockerfile it would build, printed
    record = shell.run_line_magic("mlpipe", "deploy tiny-real")
    try:
        assert record.url.startswith("http://127.0.0.1:") and record.health == "healthy"
        assert "%mlpipe predict tiny-real INPUT" in record._repr_html_()  # what to do next
        prediction = shell.run_line_magic("mlpipe", "predict tiny-real '[[1.0, 3.0]]'")
        assert prediction.values == [[2.0, 6.0]]
        table = shell.run_line_magic("mlpipe", "deployments")
        assert list(table.index) == ["tiny-real"]
        # a restarted kernel finds the deployment in the store and can use it
        InteractiveShell.clear_instance()
        shell = InteractiveShell.instance()
        register(shell, api=Mlpipe(api.settings))
        assert list(shell.run_line_magic("mlpipe", "deployments").index) == ["tiny-real"]
        again = shell.run_line_magic("mlpipe", "predict tiny-real '[[1.5]]'")
        assert again.values == [[3.0]]
    finally:
        shell.run_line_magic("mlpipe", "undeploy tiny-real")
    assert "removed" in capsys.readouterr().out
    assert shell.run_line_magic("mlpipe", "deployments").empty
