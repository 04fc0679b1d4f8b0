"""Real trial processes: lines survive normal exit, SIGTERM mid-loop and fork; handlers chain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import jupyter_mlpipe
from jupyter_mlpipe import tracking

pytestmark = pytest.mark.integration

REPO = str(Path(jupyter_mlpipe.__file__).resolve().parents[1])


def trial_env(outputs: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLPIPE_", "POLYAXON_"))}
    env["PYTHONPATH"] = os.pathsep.join([REPO, tracking.compat_path()])
    env["MLPIPE_TRIAL_OUTPUTS_PATH"] = str(outputs)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def read_lines(path: Path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n"), "a flushed file ends on a whole line"
    return [json.loads(line) for line in text.splitlines()]


def run_script(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_normal_exit_flushes_everything(tmp_path):
    done = run_script(
        """
        from jupyter_mlpipe import tracking
        for step in range(5000):
            tracking.log_metrics(step=step, loss=1.0 / (step + 1))
        """,
        trial_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert [line["step"] for line in read_lines(tmp_path / "metrics.jsonl")] == list(range(5000))


def test_uncaught_exception_still_flushes(tmp_path):
    done = run_script(
        """
        from jupyter_mlpipe import tracking
        tracking.log_metrics(step=1, loss=0.5)
        raise RuntimeError("training blew up")
        """,
        trial_env(tmp_path),
    )
    assert done.returncode == 1 and "training blew up" in done.stderr
    assert [line["step"] for line in read_lines(tmp_path / "metrics.jsonl")] == [1]


LOOP = """
import os, sys
from jupyter_mlpipe import tracking
{setup}
step = 0
while True:
    tracking.log_metrics(step=step, loss=0.5, accuracy=0.25)
    os.write(1, b".")  # one byte per completed call: the parent counts them
    step += 1
"""


def kill_mid_loop(tmp_path: Path, setup: str = "", at: int = 300) -> tuple[int, int, str]:
    """Start the loop, SIGTERM it after ``at`` logged lines; return (rc, calls seen, stderr)."""
    with subprocess.Popen(
        [sys.executable, "-c", LOOP.format(setup=setup)],
        env=trial_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        seen = 0
        while seen < at:
            chunk = proc.stdout.read1(4096)
            assert chunk, proc.stderr.read().decode()
            seen += chunk.count(b".")
        proc.send_signal(signal.SIGTERM)
        seen += proc.stdout.read().count(b".")
        err = proc.stderr.read().decode()
        return proc.wait(timeout=60), seen, err


def test_sigterm_mid_loop_keeps_every_buffered_line(tmp_path):
    # 300 lines of ~80 bytes stay under the 64 KiB threshold and arrive well within the 1 s
    # delay, so they are still in the buffer when the signal lands: only the handler writes them.
    returncode, calls, err = kill_mid_loop(tmp_path)
    assert returncode == -signal.SIGTERM, err  # still dies *by* the signal
    lines = read_lines(tmp_path / "metrics.jsonl")
    steps = [line["step"] for line in lines]
    assert steps == list(range(len(steps)))  # whole, in order, no gap, no duplicate
    assert calls <= len(lines) <= calls + 1  # every completed call is there
    assert all(line["values"] == {"loss": 0.5, "accuracy": 0.25} for line in lines)


def test_sigterm_chains_to_the_handler_installed_before(tmp_path):
    setup = """
import signal
def graceful(signum, frame):
    sys.stderr.write("graceful stop\\n")
    sys.exit(3)
signal.signal(signal.SIGTERM, graceful)
"""
    returncode, calls, err = kill_mid_loop(tmp_path, setup=setup)
    assert returncode == 3 and "graceful stop" in err
    lines = read_lines(tmp_path / "metrics.jsonl")
    assert [line["step"] for line in lines] == list(range(len(lines)))
    assert calls <= len(lines) <= calls + 1


def test_sigterm_ignored_before_stays_ignored(tmp_path):
    code = """
import os, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
from jupyter_mlpipe import tracking
tracking.log_metrics(step=1, loss=0.5)
os.kill(os.getpid(), signal.SIGTERM)  # ignored, but the buffer is flushed on the way
with open(os.path.join(tracking.get_outputs_path(), "metrics.jsonl")) as f:
    sys.stdout.write(str(len(f.readlines())))
tracking.log_metrics(step=2, loss=0.25)
"""
    done = run_script(code, trial_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1"
    assert [line["step"] for line in read_lines(tmp_path / "metrics.jsonl")] == [1, 2]


def test_forked_child_does_not_repeat_the_parents_buffer(tmp_path):
    code = """
import os
from jupyter_mlpipe import tracking
tracking.log_metrics(step=1, loss=0.5)
pid = os.fork()
if pid == 0:
    tracking.log_metrics(step=100, loss=0.1)
    tracking.flush()
    os._exit(0)
os.waitpid(pid, 0)
tracking.log_metrics(step=2, loss=0.25)
"""
    done = run_script(code, trial_env(tmp_path))
    assert done.returncode == 0, done.stderr
    steps = sorted(line["step"] for line in read_lines(tmp_path / "metrics.jsonl"))
    assert steps == [1, 2, 100]


def test_polyaxon_helper_script_runs_unchanged(tmp_path):
    outputs = tmp_path / "groups" / "1" / "7"
    outputs.mkdir(parents=True)
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import os
            from polyaxon_helper import (
                get_cluster_def, get_data_paths, get_declarations, get_experiment_info,
                get_log_level, get_outputs_path, get_task_info, send_metrics,
            )

            declarations = get_declarations()
            assert get_cluster_def() is None
            assert get_task_info() == {"type": "master", "index": 0}
            assert get_experiment_info()["experiment_name"] == "alice.mnist.7"
            assert get_log_level() == "INFO"
            data = get_data_paths()["mnist"]
            for epoch in range(3):
                send_metrics(loss=declarations["lr"] * (3 - epoch), accuracy=0.3 * epoch)
            with open(os.path.join(get_outputs_path(), "model.dat"), "w") as f:
                f.write(data)
            """
        )
    )
    env = trial_env(
        outputs,
        POLYAXON_DECLARATIONS=json.dumps({"lr": 0.5, "batch_size": 64}),
        POLYAXON_RUN_DATA_PATHS=json.dumps({"mnist": "/data/mnist"}),
        POLYAXON_LOG_LEVEL='"INFO"',
        MLPIPE_TRIAL_INFO=json.dumps(
            {"user": "alice", "project": "mnist", "group": 1, "experiment": 7}
        ),
    )
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = read_lines(outputs / "metrics.jsonl")
    assert [line["step"] for line in lines] == [None, None, None]
    assert [line["values"]["loss"] for line in lines] == [1.5, 1.0, 0.5]
    assert (outputs / "model.dat").read_text() == "/data/mnist"


def test_sigterm_during_a_write_out_is_deferred_until_it_completes(tmp_path):
    # The signal arrives while this thread is inside flush(): the handler must neither write the
    # batch a second time nor lose it; the process then dies by the signal.
    code = """
import os, signal
from jupyter_mlpipe import tracking
for step in range(10):
    tracking.log_metrics(step=step, loss=0.5)
writer = tracking._default
original = writer._write
def write_with_signal(data):
    os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at the next bytecode, mid-flush
    original(data)
writer._write = write_with_signal
tracking.flush()
print("survived")
"""
    done = run_script(code, trial_env(tmp_path))
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert "survived" not in done.stdout
    assert [line["step"] for line in read_lines(tmp_path / "metrics.jsonl")] == list(range(10))
