"""A full outputs volume: reads work, the supervisor says why it stopped, outcomes survive.

The volume is a small tmpfs mounted for the test (it needs root; elsewhere the test is skipped).
The trial saves its checkpoint, fills the volume and exits 0, so the supervisor's next write
(the experiment's final status) fails with ENOSPC.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.engine.reconcile import LAST_WORDS

pytestmark = pytest.mark.integration

FILL = """
import os
from jupyter_mlpipe import tracking
out = tracking.get_outputs_path()
with open(os.path.join(out, "model.dat"), "w") as fh:
    fh.write("weights")
try:
    with open(os.path.join(out, "filler.bin"), "wb") as fh:
        while True:
            fh.write(b"\\0" * 65536)
            fh.flush()
except OSError as exc:
    print("volume full:", exc, flush=True)
"""

SPEC = """
version: 1
kind: experiment
run:
  cmd: python fill.py
"""


@pytest.fixture
def small_volume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    volume = tmp_path / "volume"
    volume.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(volume)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    monkeypatch.setenv("MLPIPE_OUTPUTS_ROOT", str(volume / "outputs"))
    try:
        yield volume
    finally:
        subprocess.run(["umount", "-l", str(volume)], check=False)


def test_a_full_volume_is_survived(small_volume: Path, write_spec: Any, project: Path) -> None:
    (project / "fill.py").write_text(FILL)
    api = Mlpipe(project="tests", stop_grace=2)
    sweep = api.sweep(write_spec(project, SPEC), wait=True, progress=False, timeout=120)
    group = api._store().group_dir(sweep.group)
    (eid,) = api._store().experiment_ids(sweep.group)
    # the supervisor said why it stopped, in its log (space reserved at its start)
    said = (group / "supervisor.log").read_text()
    assert f"{LAST_WORDS}supervisor error: [Errno 28] No space left on device" in said
    # reads work on the full volume, and the group is no longer "running"
    record = sweep.record()
    assert record.status == "failed" and "No space left on device" in record.message
    assert api.groups().loc[sweep.group, "status"] == "failed"
    assert len(api.experiments(sweep.group)) == 1
    assert any("volume full" in line for line in api.logs(eid))
    # once space is freed, the finished experiment keeps its outcome
    (group / str(eid) / "filler.bin").unlink()
    api.groups()
    state = api._store().read_status(eid)
    assert (state.status, state.exit_code) == ("succeeded", 0), state
    assert (group / str(eid) / "model.dat").read_text() == "weights"
