"""A restarted kernel (a new shell, a new API object) attaches to what the store holds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.magics import register


def test_new_shell_on_the_same_store_sees_the_running_sweep(api: Mlpipe, make_group: Any) -> None:
    group = make_group()
    group.set_status(group.experiments[0], "running")
    group.log(group.experiments[0], 0, loss=0.9)
    InteractiveShell.clear_instance()
    first = InteractiveShell.instance()
    register(first, api=api)
    before = first.run_line_magic("mlpipe", f"experiments {group.id}")
    InteractiveShell.clear_instance()  # the "restart": nothing of the first shell survives

    second = InteractiveShell.instance()
    assert second is not first
    register(second, api=Mlpipe(api.settings))  # a fresh API object from the same settings
    groups = second.run_line_magic("mlpipe", "groups")
    assert list(groups.index) == [group.id] and groups.loc[group.id, "status"] == "running"
    handle = second.run_line_magic("mlpipe", f"attach {group.id}")
    assert handle.status() == "running"
    after = second.run_line_magic("mlpipe", f"experiments {group.id}")
    assert after["status"].tolist() == before["status"].tolist() == ["running", "queued"]
    assert len(list(second.run_line_magic("mlpipe", "groups").index)) == 1  # nothing started twice
    InteractiveShell.clear_instance()


def test_the_project_chosen_with_percent_config_survives_a_restart(
    caplog: Any, capsys: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("MLPIPE_PROJECT", raising=False)
    InteractiveShell.clear_instance()
    first = InteractiveShell.instance()
    register(first)  # the API comes from the settings in force, as in a user's notebook
    with caplog.at_level("WARNING", logger="jupyter_mlpipe"):
        first.run_line_magic("config", "Mlpipe.project = 'fresh'")
    assert "saved in" in capsys.readouterr().out
    assert [r.getMessage() for r in caplog.records if "nothing yet" in r.getMessage()] == [
        f"nothing yet: project 'fresh' has no sweeps (looked in"
        f" {Mlpipe().settings.outputs_root / Mlpipe().settings.user / 'fresh'}) — start one with"
        " `mlpipe sweep -f FILE` (`%%mlpipe sweep` in a notebook)"
    ]
    InteractiveShell.clear_instance()  # the restart

    second = InteractiveShell.instance()
    register(second)
    assert second.run_line_magic("mlpipe", "config project").loc["project", "value"] == "fresh"
    assert second.run_line_magic("mlpipe", "groups").empty
    assert "nothing yet: project 'fresh' has no sweeps" in capsys.readouterr().out
    InteractiveShell.clear_instance()


def _run(client: Any, code: str) -> tuple[str, str]:
    """Execute ``code`` in the kernel; return what it printed on stdout and stderr."""
    streams = {"stdout": "", "stderr": ""}

    def hook(msg: dict[str, Any]) -> None:
        content = msg["content"]
        if msg["msg_type"] == "stream":
            streams[content["name"]] += content["text"]
        elif msg["msg_type"] == "error":
            streams["stderr"] += "\n".join(content["traceback"])

    reply = client.execute_interactive(code, output_hook=hook)
    assert reply["content"]["status"] == "ok", streams["stderr"]
    return streams["stdout"], streams["stderr"]


@pytest.mark.integration
def test_a_real_kernel_restart_keeps_the_project(tmp_path: Path) -> None:
    from jupyter_client.manager import KernelManager

    env = {k: v for k, v in os.environ.items() if k != "MLPIPE_PROJECT"}
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready()
        out, err = _run(client, "%load_ext jupyter_mlpipe\n%config Mlpipe.project = 'kept'")
        assert "saved in" in out and "nothing yet: project 'kept' has no sweeps" in err
        manager.restart_kernel(now=True)
        client.wait_for_ready()
        out, _ = _run(
            client,
            "%load_ext jupyter_mlpipe\n"
            "shown = %mlpipe config project\n"
            "print(shown.loc['project', 'value'])\n"
            "%mlpipe groups",
        )
        assert out.splitlines()[0] == "kept"
        assert "nothing yet: project 'kept' has no sweeps" in out
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
