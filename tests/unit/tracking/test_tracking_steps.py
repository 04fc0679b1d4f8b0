"""The step runner, as real processes: order, env, cwd, failure codes, exec, SIGTERM forwarding."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jupyter_mlpipe
from jupyter_mlpipe.spec import parse_spec
from jupyter_mlpipe.tracking.steps import StepsError, load_steps

pytestmark = pytest.mark.integration

REPO = str(Path(jupyter_mlpipe.__file__).resolve().parents[1])
PY = sys.executable


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = REPO
    out["PATH"] = os.pathsep.join([str(Path(PY).parent), out.get("PATH", "")])
    return out


def run(steps: list[dict], cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [PY, "-m", "jupyter_mlpipe.tracking.steps", "--steps-json", json.dumps(steps)]
    return subprocess.run(argv, cwd=cwd, env=env(), capture_output=True, text=True)


def step(code: str, **extra: object) -> dict:
    return {"argv": [PY, "-c", code], "env": {}, "cwd": None, "always": False, **extra}


def test_steps_run_in_order_with_env_and_cwd(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    out = run(
        [
            step("print('one')"),
            step(
                "import os; print(os.environ['V'], os.path.basename(os.getcwd()))",
                env={"V": "a b; $(x)"},
                cwd="sub",
            ),
        ],
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["one", "a b; $(x) sub"]


def test_first_failure_stops_with_its_code_unless_the_next_step_is_always(tmp_path: Path) -> None:
    out = run([step("raise SystemExit(3)"), step("print('never')")], tmp_path)
    assert out.returncode == 3 and "never" not in out.stdout
    out = run([step("raise SystemExit(3)"), step("print('after ;')", always=True)], tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "after ;"


def test_a_missing_program_gives_127_and_says_so(tmp_path: Path) -> None:
    out = run([{"argv": ["no-such-program-here"], "env": {}, "cwd": None}], tmp_path)
    assert out.returncode == 127 and "no-such-program-here" in out.stderr
    out = run([{"argv": ["no-such-program-here"]}, step("print('x')")], tmp_path)
    assert out.returncode == 127 and "x" not in out.stdout


def test_the_last_step_replaces_the_runner(tmp_path: Path) -> None:
    out = run([step("print('a')"), step("import os; print(os.getpid())")], tmp_path)
    assert out.returncode == 0
    # the runner's own pid is the last step's: it was exec'd, not spawned
    argv = [
        PY,
        "-m",
        "jupyter_mlpipe.tracking.steps",
        "--steps-json",
        json.dumps([step("pass"), step("import os; print(os.getpid())")]),
    ]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env(), stdout=subprocess.PIPE, text=True)
    printed, _ = proc.communicate()
    assert int(printed.strip()) == proc.pid


def test_sigterm_is_forwarded_to_the_running_step(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    code = (
        "import signal, sys, time, pathlib\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('got term', flush=True), sys.exit(7)))\n"
        f"pathlib.Path({str(marker)!r}).write_text('x')\n"
        "time.sleep(60)\n"
    )
    argv = [
        PY,
        "-m",
        "jupyter_mlpipe.tracking.steps",
        "--steps-json",
        json.dumps([step(code), step("print('never')")]),
    ]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env(), stdout=subprocess.PIPE, text=True)
    while not marker.exists():
        assert proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate()
    assert proc.returncode == 7
    assert out.strip() == "got term"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '[{"argv": []}]',
        '[{"argv": ["x"], "env": {"A": 1}}]',
        '[{"argv": ["x"], "cwd": 3}]',
    ],
)
def test_malformed_steps_are_refused(text: str) -> None:
    with pytest.raises(StepsError):
        load_steps(text)


def test_a_spec_with_steps_runs_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(
        "import os, sys\nprint(os.environ['MODE'], os.environ['ONE'], sys.argv[1:])\n"
    )
    spec = parse_spec(
        "version: 1\nkind: experiment\ndeclarations: {lr: 'a b'}\nrun:\n"
        "  cmd: export MODE=fast && cd src && ONE=1 python train.py --lr={{ lr }} x\n"
    )
    argv = spec.render_command({})
    argv[0] = PY  # `python` in a spec means the trial's interpreter
    out = subprocess.run(argv, cwd=tmp_path, env=env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "fast 1 ['--lr=a b', 'x']"


def test_a_missing_folder_fails_like_cd(tmp_path: Path) -> None:
    out = run([step("print('x')", cwd="nope"), step("print('y')")], tmp_path)
    assert out.returncode == 1 and "cd: " in out.stderr and "x" not in out.stdout
    out = run([step("print('x')", cwd="nope")], tmp_path)
    assert out.returncode == 1 and "nope" in out.stderr
