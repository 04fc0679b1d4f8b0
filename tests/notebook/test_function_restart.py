"""A real Jupyter kernel sweeps a function, is restarted mid-sweep, and the sweep goes on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from jupyter_mlpipe.api import Mlpipe

pytestmark = pytest.mark.integration

SWEEP = """
import time
from jupyter_mlpipe.api import Mlpipe

def train(x):
    time.sleep(1.0)
    return {"score": x * 10}

sweep = Mlpipe().sweep(train, matrix={"x": {"values": [1, 2, 3, 4]}}, objective="score:max")
print("GROUP", sweep.group)
"""


def _run(client: Any, code: str) -> str:
    """Execute ``code`` in the kernel; return its stdout (raises on an error reply)."""
    out: list[str] = []

    def collect(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code, output_hook=collect, timeout=120)
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out)


def test_restarting_the_kernel_mid_sweep_loses_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path), env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        group = int(_run(client, SWEEP).split("GROUP", 1)[1].split()[0])
        manager.restart_kernel(now=True)  # the kernel process is killed and started again
        assert Mlpipe().group(group).status in ("created", "running")  # mid-sweep indeed
        client.wait_for_ready(timeout=120)
        assert "train" not in _run(client, "print(sorted(globals()))")
        _run(client, "%load_ext jupyter_mlpipe")
        state = _run(
            client,
            f"sweep = %mlpipe attach {group}\n"
            "record = sweep.wait(progress=False)\n"
            "print(record.status, sorted(r.last('score') for r in sweep.api.experiment_rows("
            "sweep.group)))",
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert state.split() == ["succeeded", "[10.0,", "20.0,", "30.0,", "40.0]"]
    assert Mlpipe().best(group).params == {"x": 4}
