"""The pod entry script's rules: argv lists only, exit codes the Job's failure policy reads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from jupyter_mlpipe.k8s.manifests.jobs import NOT_FOUND_EXIT, STOPPED_EXIT
from jupyter_mlpipe.k8s.trial_entry import NOT_FOUND, STOP_MARKER, STOPPED, run, trial_env

pytestmark = pytest.mark.integration  # starts processes


def test_exit_codes_match_the_failure_policy() -> None:
    assert (NOT_FOUND, STOPPED) == (NOT_FOUND_EXIT, STOPPED_EXIT)


def test_missing_command_exits_127(tmp_path: Path) -> None:
    assert run([str(tmp_path / "no-such-tool")], None, dict(os.environ), None) == NOT_FOUND


def test_stop_marker_before_start(tmp_path: Path) -> None:
    marker = tmp_path / STOP_MARKER
    marker.write_text("1")
    assert run([sys.executable, "-c", "raise SystemExit(0)"], None, dict(os.environ), None,
               marker) == STOPPED


def test_stop_marker_while_running(tmp_path: Path) -> None:
    import threading

    marker = tmp_path / STOP_MARKER
    threading.Timer(0.3, lambda: marker.write_text("1")).start()
    code = run([sys.executable, "-c", "import time; time.sleep(60)"], None, dict(os.environ),
               None, marker)
    assert code == STOPPED


def test_shell_text_stays_an_argument(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    with open(log, "w") as fh:
        code = run([sys.executable, "-c", "import sys; print(sys.argv[1])", "$(touch pwned); x"],
                   str(tmp_path), dict(os.environ), fh)
    assert code == 0 and "$(touch pwned); x" in log.read_text()
    assert not (tmp_path / "pwned").exists()


def test_attempt_counts_kubernetes_retries() -> None:
    import json

    env = trial_env({"env": {"MLPIPE_TRIAL_INFO": json.dumps({"attempt": 1, "experiment": 3})},
                     "attempt": 1}, failures=2)
    assert json.loads(env["MLPIPE_TRIAL_INFO"]) == {"attempt": 3, "experiment": 3}
