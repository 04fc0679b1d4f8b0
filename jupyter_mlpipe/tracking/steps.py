"""Run a trial's command steps in order, without a shell (standard library only).

A spec whose ``run.cmd`` has several steps (``a && b``, ``a; b``, ``export V=x && ...``,
``V=x cmd``, ``cd dir && ...`` or a list of commands) renders to one argv::

    python -m jupyter_mlpipe.tracking.steps --steps-json '[{"argv": [...], "env": {...},
        "cwd": "dir", "always": false}, ...]'

Contract:

- each step runs its ``argv`` as a list (never through a shell), with ``env`` added to this
  process's environment and in ``cwd`` (relative to the folder this runner started in; None:
  that folder);
- a step whose ``always`` is false runs only when the previous step succeeded; a failure
  otherwise ends the run with the failing step's exit code (``128 + n`` for a signal ``n``, 127
  for a program that cannot be found, 126 for one that cannot be run), as a shell would;
- the last step that will run replaces this process (``os.execvpe``), so its exit code and
  signals are the trial's own; earlier steps run as child processes, and SIGTERM, SIGINT and
  SIGHUP received meanwhile are forwarded to the running step.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StepsError(ValueError):
    """The ``--steps-json`` value is not a list of steps."""


def load_steps(text: str) -> list[dict[str, Any]]:
    """Read and check the steps JSON.

    Raises:
        StepsError: not JSON, or a step without a non-empty ``argv`` list of strings, or with a
            non-string ``env`` value or ``cwd``.
    """
    try:
        steps = json.loads(text)
    except ValueError as exc:
        raise StepsError(f"--steps-json is not JSON ({exc})") from None
    if not isinstance(steps, list) or not steps:
        raise StepsError("--steps-json must be a non-empty list of steps")
    for i, step in enumerate(steps):
        argv = step.get("argv") if isinstance(step, dict) else None
        env = step.get("env") or {} if isinstance(step, dict) else None
        cwd = step.get("cwd") if isinstance(step, dict) else None
        if (
            not isinstance(argv, list)
            or not argv
            or not all(isinstance(a, str) for a in argv)
            or not isinstance(env, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
            or cwd is not None
            and not isinstance(cwd, str)
        ):
            raise StepsError(f"step {i + 1} needs argv (strings), env (strings) and cwd")
    return steps


def _environ(step: Mapping[str, Any]) -> dict[str, str]:
    return {**os.environ, **(step.get("env") or {})}


def _folder(start: str, step: Mapping[str, Any]) -> str:
    return os.path.join(start, step["cwd"]) if step.get("cwd") else start


def _cannot_start(argv: Sequence[str], exc: OSError) -> int:
    """Report a program that cannot start; the shell's code (127 missing, 126 not runnable)."""
    print(f"mlpipe steps: {argv[0]}: {exc.strerror or exc}", file=sys.stderr, flush=True)
    return 127 if isinstance(exc, FileNotFoundError) else 126


def _missing_folder(cwd: str) -> int:
    print(f"mlpipe steps: cd: {cwd}: No such directory", file=sys.stderr, flush=True)
    return 1  # what `cd` returns in a shell


def _run_child(argv: Sequence[str], env: dict[str, str], cwd: str) -> int:
    """Run one step as a child, forwarding termination signals; its shell-style exit code."""
    if not os.path.isdir(cwd):
        return _missing_folder(cwd)
    try:
        child = subprocess.Popen(list(argv), env=env, cwd=cwd)
    except OSError as exc:
        return _cannot_start(argv, exc)

    def forward(signum: int, _frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def _exec(argv: Sequence[str], env: dict[str, str], cwd: str) -> int:
    """Replace this process with the last step; returns only when that is impossible."""
    if not os.path.isdir(cwd):
        return _missing_folder(cwd)
    try:
        os.chdir(cwd)
        os.execvpe(argv[0], list(argv), env)
    except OSError as exc:
        return _cannot_start(argv, exc)
    return 126  # pragma: no cover - execvpe does not return


def run_steps(steps: Sequence[Mapping[str, Any]]) -> int:
    """Run ``steps`` per the module contract; returns the exit code when nothing was exec'd."""
    start = os.getcwd()
    code = 0
    for i, step in enumerate(steps):
        if code != 0 and not step.get("always"):
            return code
        if i == len(steps) - 1:
            sys.stdout.flush()
            sys.stderr.flush()
            return _exec(step["argv"], _environ(step), _folder(start, step))
        code = _run_child(step["argv"], _environ(step), _folder(start, step))
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``--steps-json JSON``; exit code 2 for a malformed list."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_mlpipe.tracking.steps",
        description="Run command steps in order without a shell.",
    )
    parser.add_argument("--steps-json", required=True, help="a JSON list of {argv, env, cwd}")
    args = parser.parse_args(argv)
    try:
        steps = load_steps(args.steps_json)
    except StepsError as exc:
        print(f"mlpipe steps: {exc}", file=sys.stderr)
        return 2
    return run_steps(steps)


if __name__ == "__main__":
    sys.exit(main())
