"""A trial that floods its output keeps a capped ``output.log`` (head line and newest tail)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe

pytestmark = pytest.mark.integration

FLOOD = """
import sys
out = sys.stdout.buffer
for i in range(200_000):
    out.write(b"flood line %07d\\n" % i)
out.write(b"last line\\n")
"""

SPEC = """
version: 1
kind: experiment
run:
  cmd: python flood.py
"""


def test_a_flooding_trial_keeps_a_capped_log(
    write_spec: Any, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPIPE_LOG_MAX_BYTES", "256K")
    (project / "flood.py").write_text(FLOOD)
    api = Mlpipe(project="tests", stop_grace=2)
    sweep = api.sweep(write_spec(project, SPEC), wait=True, progress=False)
    assert sweep.record().status == "succeeded", sweep.record().message
    (eid,) = api.experiments(sweep.group).index
    log = api._store().log_path(int(eid))
    data = log.read_bytes()
    assert len(data) <= (256 << 10) + 300  # 3.4 MB were written
    first, marker = data.split(b"\n")[:2]
    assert first.startswith(b"--- attempt 1: python flood.py")
    assert b"bytes of output dropped" in marker
    assert data.endswith(b"flood line 0199999\nlast line\n")
    assert api._store().tail(int(eid), 2, 4096) == ["flood line 0199999", "last line"]
