"""A restarted kernel (a new shell, a new API object) attaches to what the store holds."""

from __future__ import annotations

from typing import Any

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
